"""The tray menu's D-Bus object: com.canonical.dbusmenu (version 3) over `ergod.tray.menu`.

`MenuObject` keeps the menu for the latest glance and its revision, and
answers the methods a host calls: `GetLayout`, `GetGroupProperties`,
`GetProperty`, `Event` and `EventGroup` (a "clicked" on an enabled entry
calls `on_click(choice)`), `AboutToShow` and `AboutToShowGroup` (nothing to
update: the menu is always current). `update(glance)` and `configure(...)`
rebuild it and return the new revision when it changed, for the caller's
`LayoutUpdated` signal.

Also the shared pieces of serving an object with jeepney: `Refused` (a
D-Bus error reply), `Reply`, `Props`, and the introspection XML.

Threading contract: `update` and `configure` from the engine thread; the
method handlers from the bus thread; a lock keeps the menu consistent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from ergod.daemon.barview import Glance
from ergod.tray import menu

INTERFACE = "com.canonical.dbusmenu"
PROPS_IFACE = "org.freedesktop.DBus.Properties"
INTROSPECT_IFACE = "org.freedesktop.DBus.Introspectable"
UNKNOWN_PROPERTY = "org.freedesktop.DBus.Error.UnknownProperty"
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"

Props = dict[str, tuple[str, Any]]
Reply = tuple[str, tuple[Any, ...]]
Handler = Callable[[tuple[Any, ...]], Reply]


class Refused(Exception):
    """Answer the call with the D-Bus error `name`."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(detail)
        self.name = name
        self.detail = detail


class MenuObject:
    """The menu served at the tray's menu path. See the module doc."""

    def __init__(self, on_click: Callable[[menu.Choice], None]) -> None:
        self._on_click = on_click
        self._lock = threading.Lock()
        self._glance: Glance | None = None
        self._exercises: tuple[tuple[str, str], ...] = ()
        self._root = menu.build(None, ())
        self._revision = 1
        self.resume_minute = 0

    def configure(self, exercises: Sequence[tuple[str, str]], resume_minute: int) -> int | None:
        """The Exercises submenu's (id, name) pairs and when "until tomorrow" ends."""
        with self._lock:
            self._exercises = tuple(exercises)
            self.resume_minute = resume_minute
            return self._rebuild()

    def update(self, glance: Glance) -> int | None:
        with self._lock:
            self._glance = glance
            return self._rebuild()

    def _rebuild(self) -> int | None:
        built = menu.build(self._glance, self._exercises)
        if built == self._root:
            return None
        self._root = built
        self._revision += 1
        return self._revision

    @staticmethod
    def properties() -> Props:
        return {
            "Version": ("u", 3),
            "TextDirection": ("s", "ltr"),
            "Status": ("s", "normal"),
            "IconThemePath": ("as", []),
        }

    def handlers(self) -> dict[str, Handler]:
        return {
            "GetLayout": self._get_layout,
            "GetGroupProperties": self._group_properties,
            "GetProperty": self._get_property,
            "Event": self._event,
            "EventGroup": self._event_group,
            "AboutToShow": lambda body: ("b", (False,)),
            "AboutToShowGroup": lambda body: ("aiai", ([], [])),
        }

    def _find(self, id_: int) -> menu.Item | None:
        with self._lock:
            return menu.find(self._root, id_)

    def _get_layout(self, body: tuple[Any, ...]) -> Reply:
        parent, depth, names = int(body[0]), int(body[1]), list(body[2])
        with self._lock:
            item, revision = menu.find(self._root, parent), self._revision
        if item is None:
            raise Refused(INVALID_ARGS, f"no menu item {parent}")
        return "u" + menu.ITEM_SIGNATURE, (revision, menu.layout(item, depth, names))

    def _group_properties(self, body: tuple[Any, ...]) -> Reply:
        ids, names = list(body[0]), list(body[1])
        with self._lock:
            root = self._root
        items = [menu.find(root, int(i)) for i in ids] if ids else list(menu.walk(root))
        found = [(item.id, menu.properties(item, names)) for item in items if item is not None]
        return "a(ia{sv})", (found,)

    def _get_property(self, body: tuple[Any, ...]) -> Reply:
        item = self._find(int(body[0]))
        props = menu.properties(item) if item is not None else {}
        if str(body[1]) not in props:
            raise Refused(UNKNOWN_PROPERTY, f"no property {body[1]} on item {body[0]}")
        return "v", (props[str(body[1])],)

    def _event(self, body: tuple[Any, ...]) -> Reply:
        if str(body[1]) == "clicked":
            self._clicked(int(body[0]))
        return "", ()

    def _event_group(self, body: tuple[Any, ...]) -> Reply:
        missing = []
        for id_, event, _data, _stamp in body[0]:
            if self._find(int(id_)) is None:
                missing.append(int(id_))
            elif str(event) == "clicked":
                self._clicked(int(id_))
        return "ai", (missing,)

    def _clicked(self, id_: int) -> None:
        item = self._find(id_)
        if item is not None and item.choice is not None and item.enabled:
            self._on_click(item.choice)


METHODS_XML = """
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
    <signal name="LayoutUpdated"><arg type="u"/><arg type="i"/></signal>"""


def introspection(iface: str, props: Props, methods: str) -> str:
    """An object's introspection XML: `iface` with its properties typed as
    served and `methods`, plus Properties and Introspectable."""
    typed = "".join(
        f'<property name="{name}" type="{sig}" access="read"/>'
        for name, (sig, _value) in props.items()
    )
    return (
        '<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
        '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
        f'<node><interface name="{iface}">{typed}{methods}</interface>'
        f'<interface name="{PROPS_IFACE}"><method name="Get"><arg type="s" direction="in"/>'
        '<arg type="s" direction="in"/><arg type="v" direction="out"/></method>'
        '<method name="GetAll"><arg type="s" direction="in"/>'
        '<arg type="a{sv}" direction="out"/></method></interface>'
        f'<interface name="{INTROSPECT_IFACE}"><method name="Introspect">'
        '<arg type="s" direction="out"/></method></interface></node>'
    )
