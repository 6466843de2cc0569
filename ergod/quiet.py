"""Quiet time: the moments prompts must not show, and why (spec section 6).

Two parts:

* Detectors behind one Protocol, `QuietProbe`, one per question: is a
  configured program running (`ProcessProbe`), is a window fullscreen on X11
  (`FullscreenProbe`), is the desktop's do-not-disturb on (`DndProbe`).
  `build_probes(config.quiet, environ, log)` makes the ones `[quiet]` asks for
  and this session can answer.
* `QuietState`, pure: it combines the probes' answers with the daemon's pause
  (optionally until a moment) and "outside the schedule" (`ergod.schedule`),
  and says when quiet time starts or ends (`Transition`), so the daemon sends
  the engine exactly one QUIET_START or QUIET_END per flip.

The probes are asked only right before an engine wake-up that may show a
prompt, and every `RECHECK` seconds while they hold quiet time on; see
docs/quiet-time.md. They look at names and window states only, never at input.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ergod.engine.model import EventKind

if TYPE_CHECKING:
    from ergod.config.schema import QuietConfig
    from ergod.dbus import BusLink

RECHECK = 60.0
"""Seconds between probe checks while a probe holds quiet time on: the only timer."""

PAUSED = "paused"
OUTSIDE_SCHEDULE = "outside the schedule"
DND_ON = "do not disturb is on"
FULLSCREEN_ON = "a window is fullscreen"


class QuietProbe(Protocol):
    """One reason prompts may have to wait.

    Threading contract: `check()` is called from the daemon's engine thread
    only, one call at a time; `close()` may come from any thread, once, at
    shutdown, and a `check()` after it may reopen what it needs. `check()`
    must be cheap (under 20 ms typically) and never raise: it returns a short
    human reason ("zoom is running") or None, and on failure returns None and
    logs the failure once (again only after a success in between).
    """

    name: str  # a stable key ("processes", "fullscreen", "dnd")

    def check(self) -> str | None: ...

    def close(self) -> None: ...


class _FailureLog:
    """Log a probe's failure once per run of failures, not on every check."""

    def __init__(self, log: logging.Logger, probe: str) -> None:
        self._log = log
        self._probe = probe
        self._failing = False

    def failed(self, detail: str) -> None:
        if not self._failing:
            self._failing = True
            self._log.warning("quiet-time probe %s failed, ignoring it: %s", self._probe, detail)

    def ok(self) -> None:
        if self._failing:
            self._failing = False
            self._log.info("quiet-time probe %s works again", self._probe)


# ---- programs ------------------------------------------------------------


def _program_names(info: Mapping[str, Any]) -> set[str]:
    """The names a process goes by: its name and the basenames of exe and argv[0]."""
    names = {str(info.get("name") or "")}
    exe = info.get("exe") or ""
    cmdline = info.get("cmdline") or []
    names.add(os.path.basename(str(exe)))
    if cmdline:
        names.add(os.path.basename(str(cmdline[0])))
    return {_normal(n) for n in names if n}


def _normal(name: str) -> str:
    name = name.strip().lower()
    return name[: -len(".exe")] if name.endswith(".exe") else name


class ProcessProbe:
    """Quiet while one of the configured programs runs as this user.

    A configured name matches a process when it equals, ignoring case and a
    trailing ".exe", the process name (psutil's, which Linux truncates to 15
    characters and psutil completes from the command line) or the basename of
    its executable or of argv[0]. Whole names only: "obs" does not match
    "jobserver". Only this user's processes count (on POSIX, by real uid): a
    call or screen share the user is in runs as the user, and another
    session on the same machine must not silence this one's prompts.
    """

    name = "processes"

    def __init__(self, names: Iterable[str], log: logging.Logger | None = None) -> None:
        self._wanted = {_normal(n): n for n in names if n.strip()}
        self._uid = os.getuid() if hasattr(os, "getuid") else None
        self._failure = _FailureLog(log or logging.getLogger(__name__), self.name)

    def check(self) -> str | None:
        if not self._wanted:
            return None
        try:
            found = self._find()
        except Exception as exc:  # psutil.Error, OSError: never break the engine thread
            self._failure.failed(f"{type(exc).__name__}: {exc}")
            return None
        self._failure.ok()
        return None if found is None else f"{found} is running"

    def close(self) -> None:
        pass

    def _find(self) -> str | None:
        import psutil

        attrs = ["name"] if self._uid is None else ["name", "uids"]
        for proc in psutil.process_iter(attrs):
            info = proc.info
            if self._uid is not None:
                uids = info.get("uids")
                if uids is None or uids.real != self._uid:
                    continue
            match = self._wanted.get(_normal(str(info.get("name") or "")))
            if match is None:
                # Only for the user's own processes, and only when the name did not
                # match: exe and cmdline cost a readlink and a read each.
                more = dict(info)
                with contextlib.suppress(psutil.Error):
                    more["exe"] = proc.exe()
                with contextlib.suppress(psutil.Error):
                    more["cmdline"] = proc.cmdline()
                match = next(
                    (self._wanted[n] for n in _program_names(more) if n in self._wanted), None
                )
            if match is not None:
                return match
        return None


class _HeldConnectionProbe:
    """A probe that keeps one connection: a lock, a failure log, a fresh start on errors.

    `_ask()` answers yes or no on the connection (opening it if needed);
    anything it raises means the connection is suspect: it is dropped, the
    failure logged once, and the answer is None.
    """

    name = ""
    reason = ""

    def __init__(self, log: logging.Logger | None) -> None:
        self._lock = threading.Lock()
        self._failure = _FailureLog(log or logging.getLogger(__name__), self.name)

    def check(self) -> str | None:
        with self._lock:
            try:
                on = self._ask()
            except Exception as exc:  # the contract: never raise into the engine thread
                self._drop()
                self._failure.failed(f"{type(exc).__name__}: {exc}")
                return None
        self._failure.ok()
        return self.reason if on else None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _ask(self) -> bool:
        raise NotImplementedError

    def _drop(self) -> None:
        raise NotImplementedError


# ---- fullscreen windows on X11 ---------------------------------------------


def fullscreen_unavailable(environ: Mapping[str, str]) -> str | None:
    """Why a FullscreenProbe cannot work in this session, or None if it can."""
    display = environ.get("DISPLAY", "")
    if not display:
        return "no X display (DISPLAY is not set)"
    try:
        import Xlib.display
    except ImportError:
        return "python-xlib is not installed"
    try:
        Xlib.display.Display(display).close()
    except Exception as exc:  # DisplayNameError, DisplayConnectionError, OSError
        return f"cannot open X display {display} ({exc})"
    return None


def probe_fullscreen(
    environ: Mapping[str, str], log: logging.Logger | None = None
) -> FullscreenProbe | None:
    """A FullscreenProbe for this session's X display, or None (see fullscreen_unavailable)."""
    if fullscreen_unavailable(environ) is not None:
        return None
    return FullscreenProbe(environ["DISPLAY"], log)


def fullscreen_probe(
    environ: Mapping[str, str], log: logging.Logger | None = None
) -> tuple[QuietProbe | None, str]:
    """The best full-screen probe here (Wayland's foreign-toplevel list, else X11), with
    what it reads; or None and why full-screen detection is off."""
    from ergod.activity.toplevels import MANAGER, probe_wayland_fullscreen

    wayland, wayland_why = probe_wayland_fullscreen(environ, log)
    if wayland is not None:
        return wayland, f"Wayland {MANAGER}"
    why = fullscreen_unavailable(environ)
    if why is None:
        return FullscreenProbe(environ["DISPLAY"], log), "X11 _NET_WM_STATE"
    return None, f"Wayland: {wayland_why}; X11: {why}"


class FullscreenProbe(_HeldConnectionProbe):
    """Quiet while a window is fullscreen on an X11 display (EWMH).

    Asks the window manager's `_NET_ACTIVE_WINDOW` on the root window; when
    the WM does not set that property at all (no EWMH WM), every viewable
    top-level window is asked instead. A window counts when its
    `_NET_WM_STATE` holds `_NET_WM_STATE_FULLSCREEN`. Under Wayland this sees
    only XWayland windows. One X connection, opened on first use and reopened
    after the server drops it; python-xlib is imported then, not at import.
    """

    name = "fullscreen"
    reason = FULLSCREEN_ON

    def __init__(self, display: str, log: logging.Logger | None = None) -> None:
        super().__init__(log)
        self._display_name = display
        self._display: Any = None
        self._atoms: dict[str, int] = {}

    def _drop(self) -> None:
        display, self._display = self._display, None
        self._atoms = {}
        if display is not None:
            with contextlib.suppress(Exception):  # the server may be gone already
                display.close()

    def _connect(self) -> Any:
        if self._display is None:
            import Xlib.display

            display = Xlib.display.Display(self._display_name)
            self._atoms = {
                name: display.intern_atom(name)
                for name in ("_NET_ACTIVE_WINDOW", "_NET_WM_STATE", "_NET_WM_STATE_FULLSCREEN")
            }
            self._display = display
        return self._display

    def _ask(self) -> bool:
        from Xlib import X, Xatom
        from Xlib.error import BadDrawable, BadWindow

        display = self._connect()
        root = display.screen().root
        active = root.get_full_property(self._atoms["_NET_ACTIVE_WINDOW"], Xatom.WINDOW)
        if active is not None:
            ids = [int(w) for w in active.value[:1] if w]
            windows = [display.create_resource_object("window", w) for w in ids]
        else:
            windows = []
            for window in root.query_tree().children:
                # A window may vanish between the listing and the question.
                with contextlib.suppress(BadWindow, BadDrawable):
                    if window.get_attributes().map_state == X.IsViewable:
                        windows.append(window)
        wanted = self._atoms["_NET_WM_STATE_FULLSCREEN"]
        for window in windows:
            try:
                state = window.get_full_property(self._atoms["_NET_WM_STATE"], Xatom.ATOM)
            except (BadWindow, BadDrawable):
                continue
            if state is not None and wanted in state.value:
                return True
        return False


# ---- do not disturb ----------------------------------------------------------

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


class DndProbe(_HeldConnectionProbe):
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
        from jeepney import DBusAddress, new_method_call
        from jeepney.low_level import MessageFlag

        from ergod.dbus import DBusCallError

        message = new_method_call(
            DBusAddress(path, bus_name=bus_name, interface=interface), member, "ss", body
        )
        message.header.flags |= MessageFlag.no_auto_start
        try:
            return _unwrap(link.call(message)[0])
        except DBusCallError:
            # ServiceUnknown, UnknownMethod/Property, InvalidArgs, portal NotFound:
            # this desktop does not offer that reading.
            return None

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


# ---- which probes ------------------------------------------------------------


def build_probes(
    config: QuietConfig, environ: Mapping[str, str], log: logging.Logger
) -> list[QuietProbe]:
    """The probes `[quiet]` asks for that this session can answer; logs the rest."""
    probes: list[QuietProbe] = []
    if config.processes:
        probes.append(ProcessProbe(config.processes, log))
    if config.fullscreen:
        fullscreen, why = fullscreen_probe(environ, log)
        if fullscreen is not None:
            probes.append(fullscreen)
        else:
            log.info("quiet.fullscreen: not watching fullscreen windows: %s", why)
    if config.dnd:
        address = environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        if address:
            probes.append(DndProbe(address, log))
        else:
            log.info("quiet.dnd: not reading do-not-disturb: no D-Bus session bus")
    return probes


def ask(probes: Iterable[QuietProbe]) -> dict[str, str | None]:
    """Each probe's answer by name, for `QuietState.update`."""
    return {probe.name: probe.check() for probe in probes}


# ---- the combined state --------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """Quiet time started (with its reasons) or ended."""

    started: bool
    reasons: tuple[str, ...]

    @property
    def event(self) -> EventKind:
        return EventKind.QUIET_START if self.started else EventKind.QUIET_END


class QuietState:
    """Every reason for quiet time, and whether the whole answer flipped.

    Pure: moments are the daemon's clock readings (seconds, the engine's
    clock), passed in. `pause(until)` (None: until `resume()`) and the probes'
    and schedule's answers are recorded; `update(now, ...)` folds them
    together and returns a `Transition` only when quiet time starts or ends.
    A timed pause that has run out by `now` counts as resumed.
    """

    def __init__(self) -> None:
        self._probes: dict[str, str] = {}
        self._outside = False
        self._paused_until: float | None = None
        self._quiet = False

    @property
    def quiet(self) -> bool:
        """The answer as of the last `update()`."""
        return self._quiet

    @property
    def paused_until(self) -> float | None:
        """When the pause ends (inf: until resumed), or None if not paused."""
        return self._paused_until

    def reasons(self, now: float) -> tuple[str, ...]:
        """Why prompts are held back at `now`: pause, schedule, then each probe."""
        found: list[str] = []
        if self._paused_until is not None and now < self._paused_until:
            found.append(PAUSED)
        if self._outside:
            found.append(OUTSIDE_SCHEDULE)
        found.extend(self._probes.values())
        return tuple(found)

    def pause(self, until: float | None = None) -> None:
        self._paused_until = float("inf") if until is None else until

    def resume(self) -> None:
        self._paused_until = None

    def update(
        self,
        now: float,
        probes: Mapping[str, str | None] | None = None,
        *,
        outside_schedule: bool | None = None,
    ) -> Transition | None:
        """Record what changed (None: as before) and say whether quiet time flipped."""
        if probes is not None:
            self._probes = {name: reason for name, reason in probes.items() if reason}
        if outside_schedule is not None:
            self._outside = outside_schedule
        if self._paused_until is not None and now >= self._paused_until:
            self._paused_until = None
        reasons = self.reasons(now)
        quiet = bool(reasons)
        if quiet == self._quiet:
            return None
        self._quiet = quiet
        return Transition(started=quiet, reasons=reasons)

    def next_check(self, now: float) -> float | None:
        """When the daemon should call `update()` next on its own, or None.

        The end of a timed pause, and `RECHECK` seconds on while a probe holds
        quiet time on (the probes cannot tell when they stop). Schedule
        boundaries come from `ergod.schedule.next_boundary`.
        """
        moments: list[float] = []
        if self._paused_until is not None and self._paused_until != float("inf"):
            moments.append(self._paused_until)
        if self._probes:
            moments.append(now + RECHECK)
        return min(moments) if moments else None
