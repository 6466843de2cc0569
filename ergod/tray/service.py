"""The tray icon on the session bus: a StatusNotifierItem and its dbusmenu.

`Tray` owns one `ergod.dbus.BusLink` and serves two objects on it, under the
name `org.kde.StatusNotifierItem-<pid>-1`:

* `/StatusNotifierItem`, interface `org.kde.StatusNotifierItem`: the icon
  (`IconPixmap`, drawn by `ergod.tray.icons` for the glance's state), the
  tooltip (sitting time, next break), `Status` (`NeedsAttention` while a
  break is open), `ItemIsMenu` and `Menu`;
* `/MenuBar`, interface `com.canonical.dbusmenu` (`ergod.tray.dbusmenu`):
  the menu of `ergod.tray.menu`; a host's `Event(id, "clicked", ...)` runs
  the entry's action through `ergod.tray.actions.perform` on a thread of its
  own.

Both answer `org.freedesktop.DBus.Properties` and `Introspectable`.

It acts only where a `org.kde.StatusNotifierWatcher` exists: at start it
registers if the watcher is there, and it follows the watcher's
`NameOwnerChanged` (a bar started later, or restarted), so no polling.
`watching` is True while registered: only then do minutes matter to it.

Threading contract: `start`, `stop` from the main thread; `show`,
`configure` from the engine thread, where they only send signals (never
wait on the bus thread); method calls are answered on the link's thread.
`start` never raises: without a session bus the tray stays off and says why.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ergod.daemon.barview import Glance, State, tooltip
from ergod.notify.base import escape_markup
from ergod.tray import actions, icons, menu
from ergod.tray.dbusmenu import (
    INTROSPECT_IFACE,
    METHODS_XML,
    PROPS_IFACE,
    UNKNOWN_PROPERTY,
    Handler,
    MenuObject,
    Props,
    Refused,
    Reply,
    introspection,
)

if TYPE_CHECKING:
    from jeepney import Message

    from ergod.dbus import BusLink

ITEM_PATH = "/StatusNotifierItem"
MENU_PATH = "/MenuBar"
ITEM_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"
WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
_DO_NOT_QUEUE = 4


class Tray:
    """The tray icon part. See the module doc."""

    def __init__(self, environ: Mapping[str, str], host: actions.TrayHost, log: logging.Logger):
        self._environ = environ
        self._host = host
        self._log = log
        self._lock = threading.Lock()
        self._link: BusLink | None = None
        self._registered = False
        self._glance: Glance | None = None
        self._menu = MenuObject(self._clicked)
        self.name = f"org.kde.StatusNotifierItem-{os.getpid()}-1"

    # ---- main thread ---------------------------------------------------------

    def start(self) -> bool:
        """Join the session bus and register where a watcher is; False if no bus."""
        from jeepney import MatchRule
        from jeepney.bus_messages import message_bus

        from ergod.dbus import BusError, BusLink, bus_address

        try:
            link = BusLink.open(
                bus_address(self._environ, "session"), on_message=self._on_message, name="tray"
            )
        except BusError as exc:
            self._log.info("tray icon off: %s", exc)
            return False
        try:
            link.call(message_bus.RequestName(self.name, _DO_NOT_QUEUE))
            rule = MatchRule(
                type="signal",
                sender="org.freedesktop.DBus",
                interface="org.freedesktop.DBus",
                member="NameOwnerChanged",
                path="/org/freedesktop/DBus",
            )
            rule.add_arg_condition(0, WATCHER)
            link.add_match(rule)
            self._link = link
            present = link.has_owner(WATCHER)
        except BusError as exc:
            link.close()
            self._link = None
            self._log.info("tray icon off: %s", exc)
            return False
        if present:
            self._register()
        else:
            self._log.info("tray icon waits for a StatusNotifierWatcher (a panel with a tray)")
        return True

    def stop(self) -> None:
        link, self._link = self._link, None
        self._registered = False
        if link is not None:
            link.close()

    # ---- engine thread ---------------------------------------------------------

    @property
    def watching(self) -> bool:
        return self._registered

    def configure(self, exercises: Sequence[tuple[str, str]], resume_minute: int) -> None:
        """The Exercises submenu's (id, name) pairs and when "until tomorrow" ends."""
        self._layout_updated(self._menu.configure(exercises, resume_minute))

    def show(self, glance: Glance) -> None:
        with self._lock:
            before, self._glance = self._glance, glance
        if before is None or before.state != glance.state:
            self._signal(ITEM_PATH, ITEM_IFACE, "NewIcon")
            self._signal(ITEM_PATH, ITEM_IFACE, "NewStatus", "s", (self._status(glance),))
        if before is None or tooltip(before) != tooltip(glance):
            self._signal(ITEM_PATH, ITEM_IFACE, "NewToolTip")
        self._layout_updated(self._menu.update(glance))

    def _layout_updated(self, revision: int | None) -> None:
        if revision is not None:
            self._signal(MENU_PATH, MENU_IFACE, "LayoutUpdated", "ui", (revision, 0))

    def _signal(
        self, path: str, iface: str, member: str, sig: str | None = None, body: tuple[Any, ...] = ()
    ) -> None:
        from jeepney import DBusAddress, new_signal

        from ergod.dbus import BusError

        link = self._link
        if link is None:
            return
        try:
            link.send(new_signal(DBusAddress(path, interface=iface), member, sig, body))
        except BusError as exc:
            self._log.debug("tray signal %s: %s", member, exc)

    # ---- property values ---------------------------------------------------------

    @staticmethod
    def _status(glance: Glance | None) -> str:
        return "NeedsAttention" if glance is not None and glance.state is State.OPEN else "Active"

    def item_properties(self) -> Props:
        with self._lock:
            glance = self._glance
        state = glance.state.value if glance is not None else "off"
        picture = list(icons.pixmaps(state))
        text = escape_markup(tooltip(glance))
        return {
            "Category": ("s", "ApplicationStatus"),
            "Id": ("s", "ergod"),
            "Title": ("s", "ergod"),
            "Status": ("s", self._status(glance)),
            "WindowId": ("i", 0),
            "IconName": ("s", ""),
            "IconThemePath": ("s", ""),
            "IconPixmap": ("a(iiay)", picture),
            "OverlayIconName": ("s", ""),
            "OverlayIconPixmap": ("a(iiay)", []),
            "AttentionIconName": ("s", ""),
            "AttentionIconPixmap": ("a(iiay)", picture),
            "AttentionMovieName": ("s", ""),
            "ToolTip": ("(sa(iiay)ss)", ("", [], "ergod", text)),
            "ItemIsMenu": ("b", True),
            "Menu": ("o", MENU_PATH),
        }

    # ---- the bus thread ---------------------------------------------------------

    def _register(self) -> None:
        from jeepney import DBusAddress, new_method_call

        from ergod.dbus import BusError

        link = self._link
        if link is None:
            return
        watcher = DBusAddress(WATCHER_PATH, bus_name=WATCHER, interface=WATCHER)
        try:
            link.call(new_method_call(watcher, "RegisterStatusNotifierItem", "s", (self.name,)))
        except BusError as exc:
            self._log.info("tray icon not registered: %s", exc)
            return
        self._registered = True
        self._log.info("tray icon shown (%s)", self.name)
        self._host.refresh()

    def _on_message(self, msg: Message) -> None:
        from jeepney import HeaderFields, MessageType

        fields = msg.header.fields
        if msg.header.message_type == MessageType.signal:
            if fields.get(HeaderFields.member) == "NameOwnerChanged" and msg.body[0] == WATCHER:
                self._watcher_changed(str(msg.body[2]))
            return
        if msg.header.message_type != MessageType.method_call:
            return
        path = str(fields.get(HeaderFields.path, ""))
        iface = str(fields.get(HeaderFields.interface, ""))
        member = str(fields.get(HeaderFields.member, ""))
        self._answer(msg, path, iface, member)

    def _watcher_changed(self, owner: str) -> None:
        if owner:
            self._register()
        elif self._registered:
            self._registered = False
            self._log.info("tray icon hidden: the StatusNotifierWatcher left")
            self._host.refresh()

    def _answer(self, msg: Message, path: str, iface: str, member: str) -> None:
        from jeepney import new_error, new_method_return

        from ergod.dbus import BusError

        handler = self._handlers(path).get(member)
        owner = _INTERFACE_OF.get(member)
        if handler is None or (iface and owner is not None and iface not in owner):
            reply = new_error(msg, UNKNOWN_METHOD, "s", (f"no {iface}.{member} at {path}",))
        else:
            try:
                sig, body = handler(msg.body)
                reply = new_method_return(msg, sig or None, body)
            except Refused as exc:
                reply = new_error(msg, exc.name, "s", (exc.detail,))
        link = self._link
        if link is not None:
            try:
                link.send(reply)
            except BusError as exc:
                self._log.debug("tray reply: %s", exc)

    def _handlers(self, path: str) -> dict[str, Handler]:
        if path == ITEM_PATH:
            table: dict[str, Handler] = {
                "Activate": _nothing,
                "SecondaryActivate": _nothing,
                "ContextMenu": _nothing,
                "Scroll": _nothing,
            }
            props, iface, methods = self.item_properties, ITEM_IFACE, _ITEM_METHODS_XML
        elif path == MENU_PATH:
            table = self._menu.handlers()
            props, iface, methods = MenuObject.properties, MENU_IFACE, METHODS_XML
        else:
            return {}
        table["Get"] = lambda body: _get(props(), body)
        table["GetAll"] = lambda body: ("a{sv}", (props(),))
        table["Introspect"] = lambda body: ("s", (introspection(iface, props(), methods),))
        return table

    def _clicked(self, choice: menu.Choice) -> None:
        resume = self._menu.resume_minute

        def run() -> None:
            try:
                said = actions.perform(choice, self._host, resume, datetime.now())
                self._log.info("tray: %s", said)
            except Exception:
                self._log.exception("tray action %s failed", choice.action)

        threading.Thread(target=run, name="ergod-tray-action", daemon=True).start()


def _nothing(body: tuple[Any, ...]) -> Reply:
    return "", ()


def _get(props: Props, body: tuple[Any, ...]) -> Reply:
    name = str(body[1])
    if name not in props:
        raise Refused(UNKNOWN_PROPERTY, f"no property {name}")
    return "v", (props[name],)


_INTERFACE_OF = {
    "Get": (PROPS_IFACE,),
    "GetAll": (PROPS_IFACE,),
    "Introspect": (INTROSPECT_IFACE,),
}

_ITEM_METHODS_XML = """
    <method name="Activate"><arg type="i" direction="in"/><arg type="i" direction="in"/></method>
    <method name="SecondaryActivate"><arg type="i" direction="in"/><arg type="i" direction="in"/>
    </method>
    <method name="ContextMenu"><arg type="i" direction="in"/><arg type="i" direction="in"/></method>
    <method name="Scroll"><arg type="i" direction="in"/><arg type="s" direction="in"/></method>
    <signal name="NewIcon"/><signal name="NewToolTip"/>
    <signal name="NewStatus"><arg type="s"/></signal>"""
