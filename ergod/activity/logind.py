"""Lock and suspend from systemd-logind on the system bus.

`LogindSessionSource` implements `SessionSource`:

* `org.freedesktop.login1.Manager.PrepareForSleep(b)`: true is SLEEP, false
  is WAKE.
* Our session object: the `LockedHint` property (set by the screen locker,
  announced through `PropertiesChanged`) and the `Lock` / `Unlock` signals
  (logind asking the locker) both give LOCK / UNLOCK. The session is found by
  `XDG_SESSION_ID`, else by our pid, else as the user's display session
  (`User.Display`): a systemd user service belongs to no session itself.
  With no session found, the source still reports sleep and wake.
* Events are deduplicated by state: a `Lock` signal followed by
  `LockedHint=true` is one LOCK.
* The system bus is `DBUS_SYSTEM_BUS_ADDRESS` when set (how the tests point
  it at a private bus), else the well-known socket.

The shell it shares with the ScreenSaver session source (one bus link, the
callback, deduplication by state) is `ergod.activity.bus_session`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ergod.activity.base import Clock
from ergod.activity.bus_session import BusSessionSource
from ergod.dbus import (
    SYSTEM,
    BusError,
    BusLink,
    DBusCallError,
    bus_address,
    signal_header,
)

if TYPE_CHECKING:
    from jeepney import Message

BUS_NAME = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
MANAGER_INTERFACE = "org.freedesktop.login1.Manager"
SESSION_INTERFACE = "org.freedesktop.login1.Session"
USER_INTERFACE = "org.freedesktop.login1.User"
PROPERTIES_INTERFACE = "org.freedesktop.DBus.Properties"


class LogindSessionSource(BusSessionSource):
    """`SessionSource` over org.freedesktop.login1 (see the module doc)."""

    name = "logind"
    service = BUS_NAME

    def __init__(
        self,
        clock: Clock,
        address: str,
        *,
        session_id: str = "",
        pid: int | None = None,
        uid: int | None = None,
        timeout: float = 2.0,
    ) -> None:
        super().__init__(clock, address, timeout=timeout)
        self._session_id = session_id
        self._pid = os.getpid() if pid is None else pid
        self._uid = os.getuid() if uid is None else uid
        self.session_path = ""

    def _subscribe(self, link: BusLink) -> None:
        from jeepney import MatchRule

        link.add_match(
            MatchRule(
                type="signal",
                sender=BUS_NAME,
                path=MANAGER_PATH,
                interface=MANAGER_INTERFACE,
                member="PrepareForSleep",
            )
        )
        # Subscribed before any sleep: a WAKE with no SLEEP before it is noise.
        self._seed("sleep", False)
        self.session_path = self._find_session(link)
        if not self.session_path:
            logging.getLogger(__name__).warning(
                "logind: no login session found for this user; lock and unlock go unseen"
            )
            return
        link.add_match(MatchRule(type="signal", sender=BUS_NAME, path=self.session_path))
        self._seed("lock", bool(self._property(link, SESSION_INTERFACE, "LockedHint")))

    def _find_session(self, link: BusLink) -> str:
        from jeepney import new_method_call

        manager = self._target(MANAGER_PATH, MANAGER_INTERFACE)

        attempts: list[tuple[str, str | None, tuple[Any, ...]]] = []
        if self._session_id:
            attempts.append(("GetSession", "s", (self._session_id,)))
        attempts.append(("GetSessionByPID", "u", (self._pid,)))
        for method, signature, body in attempts:
            try:
                return str(link.call(new_method_call(manager, method, signature, body))[0])
            except DBusCallError:
                continue
        try:
            (user_path,) = link.call(new_method_call(manager, "GetUser", "u", (self._uid,)))
            _, display_path = self._property(link, USER_INTERFACE, "Display", str(user_path))
        except DBusCallError:
            return ""
        return "" if str(display_path) == "/" else str(display_path)

    def _target(self, path: str, interface: str) -> Any:
        from jeepney import DBusAddress

        return DBusAddress(path, bus_name=BUS_NAME, interface=interface)

    def _property(self, link: BusLink, interface: str, name: str, path: str = "") -> Any:
        from jeepney import new_method_call

        target = self._target(path or self.session_path, PROPERTIES_INTERFACE)
        (variant,) = link.call(new_method_call(target, "Get", "ss", (interface, name)))
        return variant[1]

    def _on_message(self, msg: Message) -> None:
        path, interface, member = signal_header(msg)
        if interface == MANAGER_INTERFACE and member == "PrepareForSleep":
            self._set("sleep", bool(msg.body[0]))
        elif path != self.session_path or not path:
            return
        elif interface == SESSION_INTERFACE and member in ("Lock", "Unlock"):
            self._set("lock", member == "Lock")
        elif interface == PROPERTIES_INTERFACE and member == "PropertiesChanged":
            changed_interface, changed, invalidated = msg.body
            if changed_interface != SESSION_INTERFACE:
                return
            if "LockedHint" in changed:
                self._set("lock", bool(changed["LockedHint"][1]))
            elif "LockedHint" in invalidated and self._link is not None:
                # Nested call on the receiver thread: BusLink reads the reply inline.
                try:
                    value = self._property(self._link, SESSION_INTERFACE, "LockedHint")
                except BusError:
                    return
                self._set("lock", bool(value))


def probe(clock: Clock, environ: Mapping[str, str]) -> LogindSessionSource:
    """A logind source for this environment, checked once; returned stopped."""
    source = LogindSessionSource(
        clock, bus_address(environ, SYSTEM), session_id=environ.get("XDG_SESSION_ID", "")
    )
    source.start(lambda event, t: None)
    source.stop()
    return source
