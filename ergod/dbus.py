"""One D-Bus connection with its own receiver thread, bounded in every wait.

`BusLink` is the only bus plumbing the D-Bus adapters (GNOME idle monitor,
ScreenSaver, logind) and their test services share. It wraps jeepney (pure
Python, unix-socket transports only) and owns exactly one thread.

Contract:
* `BusLink.open(address, ...)` connects, authenticates and says Hello within
  `timeout` seconds, or raises `BusError`. `bus_address(environ, "session" |
  "system")` finds the address the way libdbus does (env var, then the
  well-known system socket); an empty session address fails in `open()`.
* `call(message)` may be made from any thread, including from inside
  `on_message` (the reply is then read on the receiver thread itself). It
  waits at most `timeout` seconds and raises `BusError` when the bus is gone
  or silent, `DBusCallError` when the peer answered with an error.
  `on_reply(reply)`, if given, runs on the receiver thread before any message
  that arrived after the reply is handled: it is how a caller learns a
  result (e.g. a watch id) strictly before the signals that refer to it.
* `on_message(msg)` runs on the receiver thread for every incoming message
  that is not a reply (signals, method calls to a service), in bus order.
* When the connection ends by itself (the bus daemon died), `alive` turns
  False and every waiting call fails at once with `BusError`.
* `close()` wakes the thread through a pipe (no polling) and joins it within
  a bounded time. A closed or lost link raises `BusError` on `call()`.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jeepney import MatchRule, Message

SESSION = "session"
SYSTEM = "system"
_DEFAULT_SYSTEM_BUS = "unix:path=/var/run/dbus/system_bus_socket"
_JOIN_SECONDS = 2.0


class BusError(Exception):
    """The bus could not be reached, went away, or did not answer in time."""


class DBusCallError(BusError):
    """The peer answered a call with a D-Bus error (e.g. UnknownMethod)."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}" if detail else name)
        self.name = name


def bus_address(environ: Mapping[str, str], which: str) -> str:
    """The address of the session or system bus for this environment."""
    if which == SESSION:
        # Empty when unset: `BusLink.open` then says what is missing.
        return environ.get("DBUS_SESSION_BUS_ADDRESS", "")
    return environ.get("DBUS_SYSTEM_BUS_ADDRESS", "") or _DEFAULT_SYSTEM_BUS


def signal_header(msg: Message) -> tuple[str, str, str]:
    """(path, interface, member) of a signal; empty strings for any other message."""
    from jeepney import HeaderFields, MessageType

    if msg.header.message_type != MessageType.signal:
        return ("", "", "")
    fields = msg.header.fields
    return (
        str(fields.get(HeaderFields.path, "")),
        str(fields.get(HeaderFields.interface, "")),
        str(fields.get(HeaderFields.member, "")),
    )


class _Pending:
    """A call waiting for its reply; `reply` stays None if the link ended."""

    def __init__(self, on_reply: Callable[[Message], None] | None) -> None:
        self.on_reply = on_reply
        self.reply: Message | None = None
        self.done = threading.Event()


class BusLink:
    """A D-Bus connection plus the thread that reads it. See the module doc."""

    def __init__(
        self,
        conn: Any,
        *,
        timeout: float,
        on_message: Callable[[Message], None] | None,
        name: str,
    ) -> None:
        self._conn = conn
        self._timeout = timeout
        self._on_message = on_message
        self._lock = threading.Lock()
        self._pending: dict[int, _Pending] = {}
        # Non-reply messages read while a nested call waited on the receiver thread.
        self._backlog: deque[Message] = deque()
        self._alive = True
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"ergod-dbus-{name}", daemon=True)
        self.unique_name = ""

    @classmethod
    def open(
        cls,
        address: str,
        *,
        timeout: float = 2.0,
        on_message: Callable[[Message], None] | None = None,
        name: str = "link",
    ) -> BusLink:
        from jeepney.bus import get_bus
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import prep_socket
        from jeepney.io.threading import DBusConnection

        if not address:
            raise BusError("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
        try:
            sock = prep_socket(get_bus(address), timeout=timeout)
        except Exception as exc:  # jeepney raises OSError, TimeoutError, RuntimeError, auth errors
            raise BusError(f"cannot connect to D-Bus at {address}: {exc}") from exc
        link = cls(DBusConnection(sock), timeout=timeout, on_message=on_message, name=name)
        link._thread.start()
        try:
            link.unique_name = str(link.call(message_bus.Hello())[0])
        except BusError:
            link.close()
            raise
        return link

    @property
    def alive(self) -> bool:
        return self._alive

    def send(self, message: Message, serial: int | None = None) -> None:
        """Send without waiting (signals, replies of a service)."""
        try:
            self._conn.send(message, serial=serial)
        except (OSError, ValueError) as exc:
            raise BusError(f"D-Bus connection lost: {exc}") from exc

    def call(
        self,
        message: Message,
        *,
        timeout: float | None = None,
        on_reply: Callable[[Message], None] | None = None,
    ) -> tuple[Any, ...]:
        from jeepney import HeaderFields, MessageType

        wait = self._timeout if timeout is None else timeout
        serial = next(self._conn.outgoing_serial)
        pending = _Pending(on_reply)
        with self._lock:
            # Checked under the lock the receiver thread takes when it ends, so
            # a call either fails here or is released by that thread.
            if not self._alive:
                raise BusError("D-Bus connection is closed")
            self._pending[serial] = pending
        try:
            self.send(message, serial)
            if threading.current_thread() is self._thread:
                self._pump_until(pending, wait)
            elif not pending.done.wait(wait):
                raise BusError(f"no answer from D-Bus within {wait:g} s")
        finally:
            with self._lock:
                self._pending.pop(serial, None)
        reply = pending.reply
        if reply is None:
            raise BusError("D-Bus connection lost")
        if reply.header.message_type == MessageType.error:
            detail = str(reply.body[0]) if reply.body else ""
            raise DBusCallError(str(reply.header.fields.get(HeaderFields.error_name)), detail)
        return tuple(reply.body)

    def add_match(self, rule: MatchRule) -> None:
        from jeepney.bus_messages import message_bus

        self.call(message_bus.AddMatch(rule))

    def has_owner(self, bus_name: str) -> bool:
        from jeepney.bus_messages import message_bus

        return bool(self.call(message_bus.NameHasOwner(bus_name))[0])

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._conn.interrupt()
        if threading.current_thread() is not self._thread:
            self._thread.join(_JOIN_SECONDS)
        self._conn.close()
        # jeepney's threading connection leaves its interrupt pipe open.
        for fd in (self._conn._stop_r, self._conn._stop_w):
            os.close(fd)

    # Receiver thread ---------------------------------------------------

    def _route(self, msg: Message) -> None:
        from jeepney import HeaderFields

        serial = msg.header.fields.get(HeaderFields.reply_serial)
        if serial is None:
            self._backlog.append(msg)
            return
        with self._lock:
            pending = self._pending.get(serial)
        if pending is None:
            return  # a reply whose caller gave up waiting
        if pending.on_reply is not None:
            self._guarded(pending.on_reply, msg)
        pending.reply = msg
        pending.done.set()

    def _pump_until(self, pending: _Pending, wait: float) -> None:
        import time

        from jeepney.io.threading import ReceiveStopped

        deadline = time.monotonic() + wait
        while not pending.done.is_set():
            try:
                self._route(self._conn.receive(timeout=max(0.0, deadline - time.monotonic())))
            except TimeoutError as exc:
                raise BusError(f"no answer from D-Bus within {wait:g} s") from exc
            except (ReceiveStopped, OSError, ValueError) as exc:
                raise BusError(f"D-Bus connection lost: {exc}") from exc

    def _guarded(self, handler: Callable[[Message], None], msg: Message) -> None:
        try:
            handler(msg)
        except Exception:
            # A handler bug must not kill the link that every source relies on.
            logging.getLogger(__name__).exception("D-Bus message handler failed")

    def _run(self) -> None:
        from jeepney.io.threading import ReceiveStopped

        try:
            while True:
                while self._backlog:
                    msg = self._backlog.popleft()
                    if self._on_message is not None:
                        self._guarded(self._on_message, msg)
                self._route(self._conn.receive())
        except ReceiveStopped:
            pass
        except (OSError, ValueError) as exc:
            # EOF or reset: the bus daemon went away (ValueError: socket closed under us).
            if not self._closed:
                logging.getLogger(__name__).info(
                    "D-Bus connection %s lost: %s", self._thread.name, exc
                )
        finally:
            with self._lock:
                self._alive = False
                waiting = list(self._pending.values())
            for pending in waiting:
                pending.done.set()


class LinkOwner:
    """Base of the D-Bus adapters: one `BusLink` to one named service.

    `connect()` opens the link and checks the service owns its name on the
    bus, leaving nothing open when it raises `BusError`. `stop()` closes the
    link (joining its thread); `healthy()` is False before start and once the
    bus connection is gone.
    """

    name = "dbus"

    def __init__(self, address: str, *, timeout: float, name: str = "") -> None:
        if name:
            self.name = name
        self._address = address
        self._timeout = timeout
        self._link: BusLink | None = None

    def connect(
        self, service: str, where: str, on_message: Callable[[Message], None] | None = None
    ) -> BusLink:
        link = BusLink.open(
            self._address, timeout=self._timeout, on_message=on_message, name=self.name
        )
        try:
            if not link.has_owner(service):
                raise BusError(f"{service} not on the {where} bus")
        except BusError:
            link.close()
            raise
        self._link = link
        return link

    @property
    def link(self) -> BusLink | None:
        return self._link

    def stop(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.close()

    def healthy(self) -> bool:
        link = self._link
        return link is not None and link.alive
