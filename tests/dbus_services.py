"""Small real D-Bus services for the adapter tests: Mutter's IdleMonitor,
org.freedesktop.ScreenSaver and logind's Manager + Session.

Each owns its well-known name on a real (private) bus through a `BusLink`,
answers method calls on the link's thread, and has plain methods the test
calls to change state and emit the signals the real service would. They
follow the real interfaces' names, signatures and delivery: Mutter sends
`WatchFired` only to the watch's owner and drops a user-active watch once it
fired; logind announces `LockedHint` through `PropertiesChanged`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    Message,
    MessageType,
    new_error,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus

from ergod.dbus import BusLink

Reply = tuple[str | None, tuple[Any, ...]] | None
"""(signature, body) of the method return; None sends no reply at all (a hung service)."""
Handler = Callable[[Message], Reply]
UNKNOWN_METHOD = "org.freedesktop.DBus.Error.UnknownMethod"


class Refused(Exception):
    """A handler's way to answer with a D-Bus error named by the message."""


class Service:
    """A well-known name on a bus with a table of (path, interface, member) handlers."""

    def __init__(self, address: str, bus_name: str) -> None:
        self.bus_name = bus_name
        self.lock = threading.Lock()
        self._handlers: dict[tuple[str, str, str], Handler] = {}
        self.link = BusLink.open(address, on_message=self._dispatch, name=f"test-{bus_name}")
        (result,) = self.link.call(message_bus.RequestName(bus_name))
        assert result == 1, f"could not own {bus_name} (RequestName answered {result})"

    def handle(self, path: str, interface: str, member: str, handler: Handler) -> None:
        self._handlers[(path, interface, member)] = handler

    def emit(
        self,
        path: str,
        interface: str,
        member: str,
        signature: str | None = None,
        body: tuple[Any, ...] = (),
        destination: str | None = None,
    ) -> None:
        msg = new_signal(DBusAddress(path, interface=interface), member, signature, body)
        if destination is not None:
            msg.header.fields[HeaderFields.destination] = destination
        self.link.send(msg)

    def close(self) -> None:
        self.link.close()

    def _dispatch(self, msg: Message) -> None:
        if msg.header.message_type != MessageType.method_call:
            return
        fields = msg.header.fields
        key = (
            fields.get(HeaderFields.path, ""),
            fields.get(HeaderFields.interface, ""),
            fields.get(HeaderFields.member, ""),
        )
        handler = self._handlers.get(key)
        try:
            if handler is None:
                raise Refused(UNKNOWN_METHOD)
            reply = handler(msg)
        except Refused as exc:
            self.link.send(new_error(msg, str(exc), "s", (f"refused {key}",)))
            return
        if reply is not None:
            self.link.send(new_method_return(msg, *reply))


def sender(msg: Message) -> str:
    return str(msg.header.fields[HeaderFields.sender])


class FakeMutter(Service):
    """org.gnome.Mutter.IdleMonitor with a settable idle time and user-active watches."""

    PATH = "/org/gnome/Mutter/IdleMonitor/Core"
    INTERFACE = "org.gnome.Mutter.IdleMonitor"

    def __init__(self, address: str, *, user_active_watch: bool = True) -> None:
        super().__init__(address, self.INTERFACE)
        self.idle_ms = 0
        self.hung = False
        self.watches: dict[int, str] = {}
        self.removed: list[int] = []
        self._next_id = 1
        self.handle(self.PATH, self.INTERFACE, "GetIdletime", self._idletime)
        if user_active_watch:
            self.handle(self.PATH, self.INTERFACE, "AddUserActiveWatch", self._add)
        self.handle(self.PATH, self.INTERFACE, "RemoveWatch", self._remove)

    def _idletime(self, msg: Message) -> Reply:
        return None if self.hung else ("t", (self.idle_ms,))

    def _add(self, msg: Message) -> Reply:
        with self.lock:
            watch_id, self._next_id = self._next_id, self._next_id + 1
            self.watches[watch_id] = sender(msg)
        return ("u", (watch_id,))

    def _remove(self, msg: Message) -> Reply:
        with self.lock:
            self.watches.pop(int(msg.body[0]), None)
            self.removed.append(int(msg.body[0]))
        return (None, ())

    def user_active(self) -> None:
        """Input arrived: fire and drop every user-active watch, like Mutter."""
        self.idle_ms = 0
        with self.lock:
            fired, self.watches = self.watches, {}
        for watch_id, owner in fired.items():
            self.emit(self.PATH, self.INTERFACE, "WatchFired", "u", (watch_id,), owner)


class FakeMuffin(FakeMutter):
    """Cinnamon's org.cinnamon.Muffin.IdleMonitor: Mutter's interface under Muffin's names."""

    PATH = "/org/cinnamon/Muffin/IdleMonitor/Core"
    INTERFACE = "org.cinnamon.Muffin.IdleMonitor"


class FakeScreenSaver(Service):
    """org.freedesktop.ScreenSaver answering GetSessionIdleTime in milliseconds (KDE)."""

    PATH = "/org/freedesktop/ScreenSaver"
    INTERFACE = "org.freedesktop.ScreenSaver"

    def __init__(self, address: str, *, paths: tuple[str, ...] = (PATH,)) -> None:
        super().__init__(address, "org.freedesktop.ScreenSaver")
        self.idle_ms = 0
        self.active = False
        for path in paths:
            self.handle(
                path, self.INTERFACE, "GetSessionIdleTime", lambda m: ("u", (self.idle_ms,))
            )
            self.handle(path, self.INTERFACE, "GetActive", lambda m: ("b", (self.active,)))

    def set_active(self, active: bool, path: str = PATH) -> None:
        self.active = active
        self.emit(path, self.INTERFACE, "ActiveChanged", "b", (active,))


class FakeLogind(Service):
    """org.freedesktop.login1: Manager, one Session (id "c1") and its User."""

    MANAGER = "/org/freedesktop/login1"
    SESSION = "/org/freedesktop/login1/session/c1"
    USER = "/org/freedesktop/login1/user/_1000"
    MANAGER_INTERFACE = "org.freedesktop.login1.Manager"
    SESSION_INTERFACE = "org.freedesktop.login1.Session"
    PROPERTIES = "org.freedesktop.DBus.Properties"

    def __init__(self, address: str, *, session_pids: tuple[int, ...] = ()) -> None:
        super().__init__(address, "org.freedesktop.login1")
        self.locked_hint = False
        self.session_pids = session_pids
        m = self.MANAGER_INTERFACE
        self.handle(self.MANAGER, m, "GetSession", self._get_session)
        self.handle(self.MANAGER, m, "GetSessionByPID", self._get_session_by_pid)
        self.handle(self.MANAGER, m, "GetUser", lambda msg: ("o", (self.USER,)))
        self.handle(self.SESSION, self.PROPERTIES, "Get", self._session_property)
        self.handle(self.USER, self.PROPERTIES, "Get", self._user_property)

    def _get_session(self, msg: Message) -> Reply:
        return ("o", (self.SESSION,)) if msg.body[0] == "c1" else self._missing(msg)

    def _get_session_by_pid(self, msg: Message) -> Reply:
        return ("o", (self.SESSION,)) if msg.body[0] in self.session_pids else self._missing(msg)

    def _missing(self, msg: Message) -> Reply:
        raise Refused("org.freedesktop.login1.NoSuchSession")

    def _session_property(self, msg: Message) -> Reply:
        assert tuple(msg.body) == (self.SESSION_INTERFACE, "LockedHint"), msg.body
        return ("v", (("b", self.locked_hint),))

    def _user_property(self, msg: Message) -> Reply:
        assert msg.body[1] == "Display", msg.body
        return ("v", (("(so)", ("c1", self.SESSION)),))

    def prepare_for_sleep(self, start: bool) -> None:
        self.emit(self.MANAGER, self.MANAGER_INTERFACE, "PrepareForSleep", "b", (start,))

    def lock_signal(self, lock: bool) -> None:
        self.emit(self.SESSION, self.SESSION_INTERFACE, "Lock" if lock else "Unlock")

    def set_locked_hint(self, locked: bool) -> None:
        self.locked_hint = locked
        self.emit(
            self.SESSION,
            self.PROPERTIES,
            "PropertiesChanged",
            "sa{sv}as",
            (self.SESSION_INTERFACE, {"LockedHint": ("b", locked)}, []),
        )
