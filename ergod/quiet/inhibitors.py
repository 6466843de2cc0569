"""Watching counts as sitting: an application holding an idle inhibitor (`[activity] inhibitors`).

`InhibitorProbe` is an attended-only probe (`attended = True`, `quiet =
False`): while a video plays or a presentation runs, the user is at the desk
though they touch nothing, so the sitting bout goes on (spec section 6), and
prompts are still shown. It asks, in this order, and the first "yes" wins:

1. logind (system bus): `ListInhibitors`, an entry of this user whose `what`
   contains `idle` and whose mode is `block` (`systemd-inhibit --what=idle`,
   and what GNOME and KDE forward there);
2. GNOME (session bus): `org.gnome.SessionManager.IsInhibited(8)`, 8 being
   "idle" (what browsers and players ask for through the portal);
3. KDE PowerDevil and xfce4-power-manager (session bus):
   `org.freedesktop.PowerManagement.Inhibit.HasInhibit`.

A service that is not there counts as "no". The X11 screen-saver extension
would be the source "where that is all there is", but it cannot report a
suspension (`XScreenSaverSuspend`: Xorg and Xvfb still answer "off"), and the
resets players send (`XResetScreenSaver`) already restart the X idle time,
which the X11 activity source reads as input.

The reason names who holds the inhibitor, never why (a "why" can carry a
video's title).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ergod.quiet.base import FailureLog, bus_call
from ergod.reasons import AWAKE

if TYPE_CHECKING:
    from ergod.dbus import BusLink

LOGIND = "org.freedesktop.login1"
LOGIND_PATH = "/org/freedesktop/login1"
LOGIND_MANAGER = "org.freedesktop.login1.Manager"
GNOME_SESSION = "org.gnome.SessionManager"
GNOME_SESSION_PATH = "/org/gnome/SessionManager"
GNOME_INHIBIT_IDLE = 8
POWER_MANAGEMENT = "org.freedesktop.PowerManagement"
POWER_MANAGEMENT_PATH = "/org/freedesktop/PowerManagement/Inhibit"
POWER_MANAGEMENT_INHIBIT = "org.freedesktop.PowerManagement.Inhibit"


def idle_blockers(inhibitors: list[Any], uid: int) -> list[str]:
    """Who holds an idle-blocking inhibitor of `uid`, from ListInhibitors' a(ssssuu)."""
    found = []
    for what, who, _why, mode, owner, _pid in inhibitors:
        if "idle" in str(what).split(":") and mode == "block" and int(owner) == uid:
            found.append(str(who) or "an application")
    return found


class InhibitorProbe:
    """Attended while an application keeps the desktop from going idle.

    One link per bus, opened on first use and again after a failure. Calls
    carry NO_AUTO_START and are bounded by `timeout`. Each bus fails alone.
    """

    name = "inhibitors"
    quiet = False
    attended = True

    def __init__(
        self,
        environ: Mapping[str, str],
        log: logging.Logger | None = None,
        *,
        timeout: float = 0.5,
    ) -> None:
        from ergod.dbus import SESSION, SYSTEM, bus_address

        log = log or logging.getLogger(__name__)
        self._uid = os.getuid()
        self._timeout = timeout
        self._addresses = {
            SYSTEM: bus_address(environ, SYSTEM),
            SESSION: bus_address(environ, SESSION),
        }
        self._links: dict[str, BusLink] = {}
        self._failures = {
            bus: FailureLog(log, f"inhibitors ({bus} bus)") for bus in self._addresses
        }

    def check(self) -> str | None:
        from ergod.dbus import SESSION, SYSTEM

        holders = self._ask(SYSTEM, self._logind)
        if not holders:
            holders = self._ask(SESSION, self._desktop)
        if not holders:
            return None
        return AWAKE.format(programs=", ".join(sorted(set(holders))))

    def close(self) -> None:
        links, self._links = self._links, {}
        for link in links.values():
            link.close()

    def _ask(self, bus: str, question: Any) -> list[str]:
        from ergod.dbus import BusError, BusLink

        if not self._addresses[bus]:
            return []
        try:
            link = self._links.get(bus)
            if link is None or not link.alive:
                link = BusLink.open(self._addresses[bus], timeout=self._timeout, name="inhibitors")
                self._links[bus] = link
            holders: list[str] = question(link)
        except (BusError, OSError, ValueError, TypeError) as exc:
            stale = self._links.pop(bus, None)
            if stale is not None:
                stale.close()
            self._failures[bus].failed(f"{type(exc).__name__}: {exc}")
            return []
        self._failures[bus].ok()
        return holders

    def _logind(self, link: BusLink) -> list[str]:
        reply = bus_call(link, LOGIND, LOGIND_PATH, LOGIND_MANAGER, "ListInhibitors")
        return [] if reply is None else idle_blockers(list(reply[0]), self._uid)

    def _desktop(self, link: BusLink) -> list[str]:
        reply = bus_call(
            link,
            GNOME_SESSION,
            GNOME_SESSION_PATH,
            GNOME_SESSION,
            "IsInhibited",
            ("u", (GNOME_INHIBIT_IDLE,)),
        )
        if reply is not None and reply[0] is True:
            return ["an application (GNOME)"]
        reply = bus_call(
            link, POWER_MANAGEMENT, POWER_MANAGEMENT_PATH, POWER_MANAGEMENT_INHIBIT, "HasInhibit"
        )
        if reply is not None and reply[0] is True:
            return ["an application (power management)"]
        return []
