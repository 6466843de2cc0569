"""Choosing the activity source: the best one that works here, or schedule-only mode.

`select_source(preference, clock, environ)` turns `[activity] source` into a
`SourceChoice`:

* `"auto"` probes the candidates for this platform, best first (`SOURCES`
  order: on Linux gnome, cinnamon, wayland, screensaver, x11, pynput), takes
  the first that works and logs why each earlier one was rejected. If none
  works, the choice is schedule-only mode (`source is None`: prompts follow
  the clock as if the user were always present), with what was tried, what
  would help, and for a Wayland session `why` in one sentence.
* `"none"` chooses schedule-only mode on purpose.
* Any other known name forces that source; if it cannot work, SourceUnavailable
  (the CLI's exit 1). An unknown name is a UsageError.

`SOURCES` is the registry, one row per source. Each row's module
`ergod.activity.<module>` exposes `probe(clock, environ) -> ActivitySource`
(`probe(clock, environ, settings)` for a row with `takes_settings`), which
returns an unstarted source or raises SourceUnavailable with the reason.
Modules are imported only when probed, so importing this package stays cheap
(stdlib only). `configure(source, settings)` hands a running source new
`SourceSettings` after a reload; `on_failure(source, callback)` asks a source
that notices its own failure (Wayland) to say so at once.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ergod.activity.base import ActivitySource, Clock, SourceSettings, SourceUnavailable
from ergod.errors import UsageError

UNIX = "unix"
"""Linux and the BSDs: every `sys.platform` that is not win32 or darwin."""


@dataclass(frozen=True)
class Source:
    """One activity source ergod knows, as a row of `SOURCES`.

    `name` is its `[activity] source` value; `module` is the module under
    ergod.activity that has its `probe`; `platform` is where `"auto"` tries it
    (`UNIX`, "win32" or "darwin"); `advice` says what would make it work.
    `takes_settings`: a source told of absences (not asked), which must know
    the threshold before it starts.
    """

    name: str
    module: str
    platform: str
    advice: str
    takes_settings: bool = False


# The one registry: selection, `auto`'s order (best first within a platform),
# config validation (`[activity] source`), `ergod doctor` and the docs' list of
# values (tests/test_config_registries.py) all come from it.
SOURCES: tuple[Source, ...] = (
    Source(
        "gnome",
        "gnome",
        UNIX,
        "on GNOME, start ergod inside the desktop session so it reaches the session bus "
        "(`systemctl --user import-environment DBUS_SESSION_BUS_ADDRESS`)",
    ),
    Source(
        "cinnamon",
        "cinnamon",
        UNIX,
        "on Cinnamon, the same session bus, where Muffin serves org.cinnamon.Muffin.IdleMonitor",
    ),
    Source(
        "wayland",
        "wayland",
        UNIX,
        "on sway, KDE Plasma, Hyprland, labwc and other Wayland desktops, give ergod the "
        "compositor's socket (`systemctl --user import-environment WAYLAND_DISPLAY`); the "
        "compositor needs ext-idle-notify-v1 or org_kde_kwin_idle",
        takes_settings=True,
    ),
    Source(
        "screensaver",
        "screensaver",
        UNIX,
        "on KDE and other desktops, the same session bus, where "
        "org.freedesktop.ScreenSaver answers GetSessionIdleTime",
    ),
    Source(
        "x11",
        "x11",
        UNIX,
        "on X11, give ergod the display (`systemctl --user import-environment DISPLAY "
        "XAUTHORITY`); the X server needs the MIT-SCREEN-SAVER and RECORD extensions",
    ),
    Source(
        "pynput",
        "listener",
        UNIX,
        "the pynput fallback needs an X display (DISPLAY) with the RECORD extension, "
        "and the pynput and python-xlib packages",
    ),
    Source("windows", "windows", "win32", "on Windows, run ergod in the user's desktop session"),
    Source(
        "macos",
        "macos",
        "darwin",
        "on macOS, allow ergod in System Settings > Privacy & Security > Accessibility "
        "and Input Monitoring",
    ),
)

SOURCE_NAMES: tuple[str, ...] = ("auto", *(source.name for source in SOURCES), "none")
"""Every value `[activity] source` accepts."""

IMPORT_ENVIRONMENT = "systemctl --user import-environment WAYLAND_DISPLAY"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceChoice:
    """The activity source the daemon will use, and how it was chosen.

    `source` is None in schedule-only mode. `tried` lists each rejected
    candidate with its reason, in probe order; `advice` says what to install
    or set, and is empty unless ergod fell back to schedule-only mode. `why`
    is one plain sentence for a Wayland session that fell back (which
    protocol was missing, or why the socket was not reachable), else empty.
    """

    source: ActivitySource | None
    name: str
    tried: tuple[tuple[str, str], ...] = ()
    advice: str = ""
    why: str = ""

    @property
    def schedule_only(self) -> bool:
        return self.source is None

    @property
    def protocol(self) -> str:
        """The mechanism the source speaks ("org_kde_kwin_idle v1"), where it says."""
        return str(getattr(self.source, "protocol", ""))

    def describe(self) -> str:
        """Plain lines for startup, `ergod status` and `ergod doctor`."""
        rejected = "; ".join(f"{name}: {reason}" for name, reason in self.tried)
        if self.source is not None:
            line = f"activity source: {self.name}"
            if self.protocol:
                line += f" ({self.protocol})"
            return f"{line} (not usable here: {rejected})" if rejected else line
        if not self.tried:
            return (
                "activity source: none, as configured (schedule-only mode: prompts "
                "follow the clock as if you were always at the desk)"
            )
        lines = [
            "activity source: none found, so ergod runs in schedule-only mode: prompts "
            "follow the clock as if you were always at the desk.",
            f"  tried: {rejected}",
        ]
        if self.why:
            lines.append(f"  why: {self.why}")
        if self.advice:
            lines.append(f"  to measure real sitting time: {self.advice}")
        return "\n".join(lines)


def candidates(platform: str) -> tuple[str, ...]:
    """The names `"auto"` probes on `platform` (a `sys.platform` value), best first."""
    family = platform if platform in ("win32", "darwin") else UNIX
    return tuple(source.name for source in SOURCES if source.platform == family)


def advice_for(names: tuple[str, ...]) -> str:
    """What would make one of `names` work, one clause each."""
    advice = {source.name: source.advice for source in SOURCES}
    return "; ".join(advice[name] for name in names if name in advice)


def _row(name: str) -> Source:
    return next(source for source in SOURCES if source.name == name)


def probe(
    name: str,
    clock: Clock,
    environ: Mapping[str, str],
    settings: SourceSettings | None = None,
) -> ActivitySource:
    """An unstarted source `name`, or SourceUnavailable with a reason (no name prefix)."""
    row = _row(name)
    module_name = row.module
    try:
        module = importlib.import_module(f"ergod.activity.{module_name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"ergod.activity.{module_name}":
            raise SourceUnavailable("not part of this ergod installation") from exc
        raise SourceUnavailable(f"needs the Python package {exc.name}") from exc
    try:
        if row.takes_settings:
            source: ActivitySource = module.probe(clock, environ, settings or SourceSettings())
        else:
            source = module.probe(clock, environ)
    except SourceUnavailable as exc:
        raise SourceUnavailable(_without_prefix(name, str(exc))) from exc
    except Exception as exc:  # a probe bug must not stop the daemon from starting
        _log.debug("probe of %s failed", name, exc_info=True)
        raise SourceUnavailable(f"probe failed ({type(exc).__name__}: {exc})") from exc
    return source


def select_source(
    preference: str,
    clock: Clock,
    environ: Mapping[str, str],
    platform: str | None = None,
    settings: SourceSettings | None = None,
) -> SourceChoice:
    """The source for `preference` (a SOURCE_NAMES value) on `platform` (default: this one).

    `settings` reach the sources that need them before they start (default:
    the default rules' threshold, inhibitors honoured).
    """
    if preference not in SOURCE_NAMES:
        raise UsageError(
            f"unknown activity source {preference!r} (choose from {', '.join(SOURCE_NAMES)})"
        )
    if preference == "none":
        _log.debug("activity source: none (schedule-only mode, as configured)")
        return SourceChoice(None, "none")
    if preference != "auto":
        try:
            source = probe(preference, clock, environ, settings)
        except SourceUnavailable as exc:
            advice = advice_for((preference,))
            raise SourceUnavailable(
                f'activity source "{preference}" was set but cannot work here: {exc}. '
                f"{advice[:1].upper()}{advice[1:]}."
            ) from exc
        _log.debug("activity source: %s (as configured)", preference)
        return SourceChoice(source, preference)
    names = candidates(sys.platform if platform is None else platform)
    tried: list[tuple[str, str]] = []
    for name in names:
        try:
            source = probe(name, clock, environ, settings)
        except SourceUnavailable as exc:
            # Debug only: the caller shows `SourceChoice.describe()`, and the
            # daemon re-probes now and then while it has no source.
            _log.debug("activity source %s rejected: %s", name, exc)
            tried.append((name, str(exc)))
            continue
        _log.debug("activity source: %s", name)
        return SourceChoice(source, name, tuple(tried))
    _log.debug("no activity source works here: schedule-only mode")
    return SourceChoice(
        None, "none", tuple(tried), advice_for(names), wayland_why(dict(tried), environ)
    )


def wayland_why(reasons: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """Why a Wayland session got no source, in one sentence; "" for other sessions."""
    reason = reasons.get("wayland")
    if reason is None:
        return ""
    looks_wayland = environ.get("XDG_SESSION_TYPE") == "wayland" or environ.get("WAYLAND_DISPLAY")
    no_socket = reason.startswith("no Wayland socket")
    if not looks_wayland and no_socket:
        return ""
    why = f"this is a Wayland session, but {reason}"
    if no_socket:
        why += f"; run `{IMPORT_ENVIRONMENT}` in the session, then restart ergod"
    return why


def on_failure(source: ActivitySource, callback: Callable[[], None]) -> None:
    """Have `source` call `callback()` from its thread when its mechanism goes
    away (the compositor exits); sources that only find out when asked ignore it."""
    register = getattr(source, "on_failure", None)
    if register is not None:
        register(callback)


def configure(source: ActivitySource | None, settings: SourceSettings) -> None:
    """Give a running source new settings (after a reload); sources that need none ignore it."""
    apply = getattr(source, "configure", None)
    if apply is not None:
        apply(settings)


def _without_prefix(name: str, reason: str) -> str:
    prefix = f"{name}: "
    return reason[len(prefix) :] if reason.startswith(prefix) else reason
