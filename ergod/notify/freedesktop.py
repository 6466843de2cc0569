"""The freedesktop notifier: prompts through the Desktop Notifications spec on the session bus.

Talks to whatever owns `org.freedesktop.Notifications` (GNOME Shell, KDE Plasma,
dunst, mako, xfce4-notifyd ...) over one `ergod.dbus.BusLink`:

* at open, `GetServerInformation` and `GetCapabilities`; with no server (and none
  the bus can start) the notifier is unavailable;
* `Notify` with app name `ergod`, hints (urgency, category `x-ergod.reminder`,
  desktop entry `ergod`) and the message's timeout in ms. Each prompt passes the
  id of the one before as `replaces_id`, so a repeat replaces instead of stacking;
* a message's sound as the spec's `sound-file` hint (an absolute path) or
  `sound-name` (a name from the XDG sound theme, e.g. `message-new-instant`);
  servers that play no sounds ignore it;
* buttons ("Snooze 5 min", "Skip") only where the server lists `actions`; the
  link's thread turns `ActionInvoked` for an id this notifier showed, from the
  server that showed it, into `on_action(key)`. `NotificationClosed` forgets it;
* `close()` sends `CloseNotification` for the prompt on screen.

Every call is bounded by `SHOW_TIMEOUT`; no server, a D-Bus error, a lost bus or
a silent server make `show` return `Delivery(ok=False)`. A lost bus is reopened
at the next `show`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ergod.notify.base import (
    ACTION_KEYS,
    SHOW_TIMEOUT,
    ActionCallback,
    Delivery,
    Message,
    NotifierUnavailable,
    Urgency,
    escape_markup,
)

if TYPE_CHECKING:
    from jeepney import Message as BusMessage

    from ergod.dbus import BusLink

NAME = "freedesktop"
APP_NAME = "ergod"
CATEGORY = "x-ergod.reminder"
DESKTOP_ENTRY = "ergod"
BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"

_URGENCY_BYTE = {Urgency.LOW: 0, Urgency.NORMAL: 1, Urgency.CRITICAL: 2}


def expire_timeout_ms(timeout: float) -> int:
    """The spec's `expire_timeout`: milliseconds, 0 for "until dismissed"."""
    # An int32 on the wire: a timeout of 25 days or more would not marshal at all.
    return min(max(0, round(timeout * 1000)), 2**31 - 1)


def notify_args(
    message: Message, replaces_id: int, capabilities: frozenset[str]
) -> tuple[Any, ...]:
    """The body of a `Notify` call (signature `susssasa{sv}i`) for `message`."""
    body = message.body
    if "body-markup" in capabilities:
        # Servers that parse markup would drop text after a stray "<" or "&".
        body = escape_markup(body)
    actions: list[str] = []
    if "actions" in capabilities:
        for action in message.actions:
            actions += [action.key, action.label]
    hints = {
        "urgency": ("y", _URGENCY_BYTE[message.urgency]),
        "category": ("s", CATEGORY),
        "desktop-entry": ("s", DESKTOP_ENTRY),
    }
    if message.sound:
        hint = "sound-file" if message.sound.startswith("/") else "sound-name"
        hints[hint] = ("s", message.sound)
    return (
        APP_NAME,
        replaces_id,
        "",
        message.title,
        body,
        actions,
        hints,
        expire_timeout_ms(message.timeout),
    )


class FreedesktopNotifier:
    """One session-bus link to the notification server. Build with `open()`."""

    name = NAME

    def __init__(self, address: str, *, timeout: float = SHOW_TIMEOUT) -> None:
        self._address = address
        self._timeout = timeout
        self._log = logging.getLogger("ergod.notify")
        self._lock = threading.Lock()
        self._link: BusLink | None = None
        self._capabilities: frozenset[str] = frozenset()
        self._server = ""
        # Prompts on screen: id -> unique bus name of the server that showed it.
        self._open: dict[int, str] = {}
        self._current = 0
        self._callback: ActionCallback | None = None
        self._stopped = False

    @classmethod
    def open(
        cls, environ: Mapping[str, str], *, timeout: float = SHOW_TIMEOUT
    ) -> FreedesktopNotifier:
        """Connect and read the server's capabilities, or raise `NotifierUnavailable`."""
        from ergod.dbus import BusError, bus_address

        try:
            address = bus_address(environ, "session")
        except BusError as exc:
            raise NotifierUnavailable(str(exc)) from exc
        notifier = cls(address, timeout=timeout)
        try:
            notifier._connect(time.monotonic() + timeout)
        except BusError as exc:
            notifier.stop()
            raise NotifierUnavailable(notifier._explain(exc)) from exc
        return notifier

    @property
    def supports_actions(self) -> bool:
        return "actions" in self._capabilities

    @property
    def capabilities(self) -> frozenset[str]:
        """What `GetCapabilities` returned at the last (re)connection."""
        return self._capabilities

    @property
    def server(self) -> str:
        """`name version` from `GetServerInformation`, e.g. `dunst 1.9.0`."""
        return self._server

    def show(self, message: Message) -> Delivery:
        from ergod.dbus import BusError

        deadline = time.monotonic() + self._timeout
        try:
            link = self._ensure_link(deadline)
            with self._lock:
                replaces = self._current
            args = notify_args(message, replaces, self._capabilities)
            reply = link.call(
                self._method("Notify", "susssasa{sv}i", args),
                timeout=_remaining(deadline),
                on_reply=self._record_shown,
            )
        except BusError as exc:
            return Delivery(False, NAME, self._explain(exc))
        return Delivery(True, NAME, f"{self._server}, id {int(reply[0])}")

    def close(self) -> None:
        from ergod.dbus import BusError

        with self._lock:
            current, self._current = self._current, 0
            link = self._link
        if not current or link is None or not link.alive:
            return
        try:
            link.call(self._method("CloseNotification", "u", (current,)), timeout=self._timeout)
        except BusError as exc:
            # Already gone (closed by the user or expired): nothing left to withdraw.
            self._log.debug("CloseNotification %d: %s", current, exc)

    def on_action(self, callback: ActionCallback) -> None:
        with self._lock:
            self._callback = callback

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            link, self._link = self._link, None
        if link is not None:
            link.close()

    # Connection ----------------------------------------------------------

    def _connect(self, deadline: float) -> BusLink:
        from jeepney import MatchRule

        from ergod.dbus import BusError, BusLink

        link = BusLink.open(
            self._address,
            timeout=_remaining(deadline),
            on_message=self._on_message,
            name="notify",
        )
        try:
            # Before any Notify, so no ActionInvoked can slip past unseen.
            for member in ("ActionInvoked", "NotificationClosed"):
                link.add_match(
                    MatchRule(type="signal", interface=INTERFACE, path=OBJECT_PATH, member=member)
                )
            info = link.call(self._method("GetServerInformation"), timeout=_remaining(deadline))
            caps = link.call(self._method("GetCapabilities"), timeout=_remaining(deadline))
        except BusError:
            link.close()
            raise
        with self._lock:
            if self._stopped:
                link.close()
                raise BusError("notifier stopped")
            self._link = link
            self._server = f"{info[0]} {info[2]}".strip()
            self._capabilities = frozenset(str(cap) for cap in caps[0])
            # A new link may mean a new server: old ids mean nothing to it.
            self._open.clear()
            self._current = 0
        return link

    def _ensure_link(self, deadline: float) -> BusLink:
        with self._lock:
            link = self._link
        if link is not None and link.alive:
            return link
        if link is not None:
            link.close()
        return self._connect(deadline)

    def _method(self, member: str, signature: str | None = None, body: tuple[Any, ...] = ()) -> Any:
        from jeepney import DBusAddress, new_method_call

        address = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)
        return new_method_call(address, member, signature, body)

    def _explain(self, exc: Exception) -> str:
        from ergod.dbus import DBusCallError

        if isinstance(exc, DBusCallError) and exc.name in (
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "org.freedesktop.DBus.Error.NameHasNoOwner",
        ):
            return f"no notification server on the session bus ({BUS_NAME} has no owner)"
        if isinstance(exc, DBusCallError):
            return f"notification server: {exc}"
        return str(exc)

    # Link thread ---------------------------------------------------------

    def _record_shown(self, reply: BusMessage) -> None:
        """Runs on the link thread before any signal that came after the reply."""
        from jeepney import HeaderFields, MessageType

        if reply.header.message_type != MessageType.method_return:
            return
        sender = str(reply.header.fields.get(HeaderFields.sender, ""))
        with self._lock:
            self._current = int(reply.body[0])
            self._open[self._current] = sender

    def _on_message(self, msg: BusMessage) -> None:
        from jeepney import HeaderFields, MessageType

        fields = msg.header.fields
        if (
            msg.header.message_type != MessageType.signal
            or fields.get(HeaderFields.interface) != INTERFACE
        ):
            return
        member = fields.get(HeaderFields.member)
        sender = fields.get(HeaderFields.sender)
        nid = int(msg.body[0])
        with self._lock:
            ours = self._open.get(nid) == sender
            callback = self._callback
            if ours and member == "NotificationClosed":
                del self._open[nid]
                if self._current == nid:
                    self._current = 0
        if ours and member == "ActionInvoked" and callback is not None:
            key = str(msg.body[1])
            if key in ACTION_KEYS:
                callback(key)


def _remaining(deadline: float) -> float:
    return max(0.05, deadline - time.monotonic())
