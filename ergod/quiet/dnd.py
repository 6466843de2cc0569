"""Quiet while the desktop's do-not-disturb is on (dunst, the portal, GNOME)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ergod.quiet.base import HeldConnectionProbe, bus_call
from ergod.reasons import DND_ON

if TYPE_CHECKING:
    from ergod.dbus import BusLink


NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
DUNST_INTERFACE = "org.dunstproject.cmd0"
PORTAL = "org.freedesktop.portal.Desktop"
PORTAL_PATH = "/org/freedesktop/portal/desktop"
PORTAL_SETTINGS = "org.freedesktop.portal.Settings"
GNOME_NOTIFICATIONS = "org.gnome.desktop.notifications"


def _unwrap(value: Any) -> Any:
    """A D-Bus variant as jeepney gives it, ("b", True), down to its value."""
    while isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        value = value[1]
    return value


class DndProbe(HeldConnectionProbe):
    """Quiet while the desktop's do-not-disturb is on, where it can be read.

    Three readings on the session bus, in this order; the first that says
    "on" wins and one that cannot be read (no such service or property)
    counts as "off":

    1. the notification server's `Inhibited` property on
       org.freedesktop.Notifications (KDE Plasma's server and others; not in
       the Desktop Notifications spec 1.2, and dunst 1.9 lacks it);
    2. dunst's `paused` property on `org.dunstproject.cmd0` (`dunstctl
       set-paused true`);
    3. GNOME's `org.gnome.desktop.notifications show-banners` = false, read
       through the settings portal (`org.freedesktop.portal.Settings`,
       `ReadOne`, or the older `Read` whose answer is wrapped once more).
       Chosen over running `gsettings`: no process per check, and the portal
       runs in every GNOME session, Flatpak or not.

    Calls carry NO_AUTO_START, so asking never launches a notification server
    or portal that is not already running. One bus link, opened on first use
    and reopened after the bus drops it.
    """

    name = "dnd"
    reason = DND_ON

    def __init__(
        self, address: str, log: logging.Logger | None = None, *, timeout: float = 0.5
    ) -> None:
        super().__init__(log)
        self._address = address
        self._timeout = timeout
        self._link: BusLink | None = None

    def _drop(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            link.close()

    def _ensure(self) -> BusLink:
        from ergod.dbus import BusLink

        if self._link is None or not self._link.alive:
            self._drop()
            self._link = BusLink.open(self._address, timeout=self._timeout, name="quiet-dnd")
        return self._link

    def _ask(self) -> bool:
        link = self._ensure()
        if self._property(link, NOTIFICATIONS, NOTIFICATIONS_PATH, NOTIFICATIONS, "Inhibited"):
            return True
        if self._property(link, NOTIFICATIONS, NOTIFICATIONS_PATH, DUNST_INTERFACE, "paused"):
            return True
        return self._gnome_banners(link) is False

    def _call(
        self,
        link: BusLink,
        bus_name: str,
        path: str,
        interface: str,
        member: str,
        body: tuple[str, str],
    ) -> Any:
        """The single value a (s, s) call returns; None when the peer or member does not exist."""
        reply = bus_call(link, bus_name, path, interface, member, ("ss", body))
        return None if reply is None else _unwrap(reply[0])

    def _property(self, link: BusLink, bus_name: str, path: str, interface: str, prop: str) -> bool:
        value = self._call(
            link, bus_name, path, "org.freedesktop.DBus.Properties", "Get", (interface, prop)
        )
        return value is True

    def _gnome_banners(self, link: BusLink) -> bool | None:
        args = (GNOME_NOTIFICATIONS, "show-banners")
        value = self._call(link, PORTAL, PORTAL_PATH, PORTAL_SETTINGS, "ReadOne", args)
        if value is None:  # the portal's Settings interface before version 2
            value = self._call(link, PORTAL, PORTAL_PATH, PORTAL_SETTINGS, "Read", args)
        return value if isinstance(value, bool) else None
