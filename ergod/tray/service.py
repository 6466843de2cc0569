"""The tray icon on the session bus: a StatusNotifierItem and its dbusmenu.

`Tray` owns one `ergod.dbus.BusLink` and serves two objects on it, under the
name `org.kde.StatusNotifierItem-<pid>-1`:

* `/StatusNotifierItem`, interface `org.kde.StatusNotifierItem`: the icon
  (`IconPixmap`, drawn by `ergod.tray.icons` for the glance's state), the
  tooltip (sitting time, next break), `Status` (`NeedsAttention` while a
  break is open), `ItemIsMenu` and `Menu`;
* `/MenuBar`, interface `com.canonical.dbusmenu` (version 3): the menu of
  `ergod.tray.menu`; a host's `Event(id, "clicked", ...)` runs the entry's
  action through `ergod.tray.actions.perform` on a thread of its own.

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

import html
import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ergod.daemon.barview import Glance, State, tooltip
from ergod.tray import actions, icons, menu

if TYPE_CHECKING:
    from jeepney import Message

    from ergod.dbus import BusLink

ITEM_PATH = "/StatusNotifierItem"
MENU_PATH = "/MenuBar"
ITEM_IFACE = "org.kde.StatusNotifierItem"
MENU_IFACE = "com.canonical.dbusmenu"
PROPS_IFACE = "org.freedesktop.DBus.Properties"
INTROSPECT_IFACE = "org.freedesktop.DBus.Introspectable"
WATCHER = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"
UNKNOWN_PROPERTY = "org.freedesktop.DBus.Error.UnknownProperty"
_DO_NOT_QUEUE = 4

Props = dict[str, tuple[str, Any]]
Reply = tuple[str, tuple[Any, ...]]


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
        self._exercises: tuple[tuple[str, str], ...] = ()
        self._resume_minute = 0
        self._menu = menu.build(None, ())
        self._revision = 1
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
        with self._lock:
            self._exercises = tuple(exercises)
            self._resume_minute = resume_minute
        self._rebuild_menu()

    def show(self, glance: Glance) -> None:
        with self._lock:
            before, self._glance = self._glance, glance
        if before is None or before.state != glance.state:
            self._signal(ITEM_PATH, ITEM_IFACE, "NewIcon")
            self._signal(ITEM_PATH, ITEM_IFACE, "NewStatus", "s", (self._status(glance),))
        if before is None or tooltip(before) != tooltip(glance):
            self._signal(ITEM_PATH, ITEM_IFACE, "NewToolTip")
        self._rebuild_menu()

    def _rebuild_menu(self) -> None:
        with self._lock:
            built = menu.build(self._glance, self._exercises)
            if built == self._menu:
                return
            self._menu = built
            self._revision += 1
            revision = self._revision
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
        text = html.escape(tooltip(glance), quote=False)
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

    @staticmethod
    def menu_properties() -> Props:
        return {
            "Version": ("u", 3),
            "TextDirection": ("s", "ltr"),
            "Status": ("s", "normal"),
            "IconThemePath": ("as", []),
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
            except _Refused as exc:
                reply = new_error(msg, exc.name, "s", (exc.detail,))
        link = self._link
        if link is not None:
            try:
                link.send(reply)
            except BusError as exc:
                self._log.debug("tray reply: %s", exc)

    def _handlers(self, path: str) -> dict[str, Callable[[tuple[Any, ...]], Reply]]:
        if path == ITEM_PATH:
            table: dict[str, Callable[[tuple[Any, ...]], Reply]] = {
                "Activate": _nothing,
                "SecondaryActivate": _nothing,
                "ContextMenu": _nothing,
                "Scroll": _nothing,
            }
            props = self.item_properties
        elif path == MENU_PATH:
            table = {
                "GetLayout": self._get_layout,
                "GetGroupProperties": self._group_properties,
                "GetProperty": self._get_property,
                "Event": self._event,
                "EventGroup": self._event_group,
                "AboutToShow": lambda body: ("b", (False,)),
                "AboutToShowGroup": lambda body: ("aiai", ([], [])),
            }
            props = self.menu_properties
        else:
            return {}
        table["Get"] = lambda body: _get(props(), body)
        table["GetAll"] = lambda body: ("a{sv}", (props(),))
        table["Introspect"] = lambda body: ("s", (_introspection(path, props()),))
        return table

    def _get_layout(self, body: tuple[Any, ...]) -> Reply:
        parent, depth, names = int(body[0]), int(body[1]), list(body[2])
        with self._lock:
            root, revision = self._menu, self._revision
        item = menu.find(root, parent)
        if item is None:
            raise _Refused("org.freedesktop.DBus.Error.InvalidArgs", f"no menu item {parent}")
        return "u" + menu.ITEM_SIGNATURE, (revision, menu.layout(item, depth, names))

    def _group_properties(self, body: tuple[Any, ...]) -> Reply:
        ids, names = list(body[0]), list(body[1])
        with self._lock:
            root = self._menu
        items = [menu.find(root, int(i)) for i in ids] if ids else list(menu.walk(root))
        found = [(item.id, menu.properties(item, names)) for item in items if item is not None]
        return "a(ia{sv})", (found,)

    def _get_property(self, body: tuple[Any, ...]) -> Reply:
        with self._lock:
            item = menu.find(self._menu, int(body[0]))
        props = menu.properties(item) if item is not None else {}
        if str(body[1]) not in props:
            raise _Refused(UNKNOWN_PROPERTY, f"no property {body[1]} on item {body[0]}")
        return "v", (props[str(body[1])],)

    def _event(self, body: tuple[Any, ...]) -> Reply:
        if str(body[1]) == "clicked":
            self._clicked(int(body[0]))
        return "", ()

    def _event_group(self, body: tuple[Any, ...]) -> Reply:
        missing = []
        for id_, event, _data, _stamp in body[0]:
            with self._lock:
                known = menu.find(self._menu, int(id_)) is not None
            if not known:
                missing.append(int(id_))
            elif str(event) == "clicked":
                self._clicked(int(id_))
        return "ai", (missing,)

    def _clicked(self, id_: int) -> None:
        with self._lock:
            item = menu.find(self._menu, id_)
            resume = self._resume_minute
        if item is None or item.choice is None or not item.enabled:
            return
        choice = item.choice

        def run() -> None:
            try:
                said = actions.perform(choice, self._host, resume, datetime.now())
                self._log.info("tray: %s", said)
            except Exception:
                self._log.exception("tray action %s failed", choice.action)

        threading.Thread(target=run, name="ergod-tray-action", daemon=True).start()


class _Refused(Exception):
    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name
        self.detail = detail


def _nothing(body: tuple[Any, ...]) -> Reply:
    return "", ()


def _get(props: Props, body: tuple[Any, ...]) -> Reply:
    name = str(body[1])
    if name not in props:
        raise _Refused(UNKNOWN_PROPERTY, f"no property {name}")
    return "v", (props[name],)


_INTERFACE_OF = {
    "Get": (PROPS_IFACE,),
    "GetAll": (PROPS_IFACE,),
    "Introspect": (INTROSPECT_IFACE,),
}

_METHODS = {
    ITEM_IFACE: """
    <method name="Activate"><arg type="i" direction="in"/><arg type="i" direction="in"/></method>
    <method name="SecondaryActivate"><arg type="i" direction="in"/><arg type="i" direction="in"/>
    </method>
    <method name="ContextMenu"><arg type="i" direction="in"/><arg type="i" direction="in"/></method>
    <method name="Scroll"><arg type="i" direction="in"/><arg type="s" direction="in"/></method>
    <signal name="NewIcon"/><signal name="NewToolTip"/>
    <signal name="NewStatus"><arg type="s"/></signal>""",
    MENU_IFACE: """
    <method name="GetLayout"><arg type="i" direction="in"/><arg type="i" direction="in"/>
      <arg type="as" direction="in"/><arg type="u" direction="out"/>
      <arg type="(ia{sv}av)" direction="out"/></method>
    <method name="GetGroupProperties"><arg type="ai" direction="in"/><arg type="as" direction="in"/>
      <arg type="a(ia{sv})" direction="out"/></method>
    <method name="GetProperty"><arg type="i" direction="in"/><arg type="s" direction="in"/>
      <arg type="v" direction="out"/></method>
    <method name="Event"><arg type="i" direction="in"/><arg type="s" direction="in"/>
      <arg type="v" direction="in"/><arg type="u" direction="in"/></method>
    <method name="EventGroup"><arg type="a(isvu)" direction="in"/>
      <arg type="ai" direction="out"/></method>
    <method name="AboutToShow"><arg type="i" direction="in"/><arg type="b" direction="out"/>
    </method>
    <method name="AboutToShowGroup"><arg type="ai" direction="in"/><arg type="ai" direction="out"/>
      <arg type="ai" direction="out"/></method>
    <signal name="LayoutUpdated"><arg type="u"/><arg type="i"/></signal>""",
}


def _introspection(path: str, props: Props) -> str:
    """The introspection XML of one of the two objects, properties typed as served."""
    iface = ITEM_IFACE if path == ITEM_PATH else MENU_IFACE
    typed = "".join(
        f'<property name="{name}" type="{sig}" access="read"/>'
        for name, (sig, _value) in props.items()
    )
    return (
        '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
        '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
        f'<node><interface name="{iface}">{typed}{_METHODS[iface]}</interface>'
        f'<interface name="{PROPS_IFACE}"><method name="Get"><arg type="s" direction="in"/>'
        '<arg type="s" direction="in"/><arg type="v" direction="out"/></method>'
        '<method name="GetAll"><arg type="s" direction="in"/>'
        '<arg type="a{sv}" direction="out"/></method></interface>'
        f'<interface name="{INTROSPECT_IFACE}"><method name="Introspect">'
        '<arg type="s" direction="out"/></method></interface></node>'
    )
