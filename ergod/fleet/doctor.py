"""The doctor: one read-only health check of every layer, for a help desk to ask for.

Contract: `examine(env)` runs each check and returns a `Report` of `Check`
values, in a fixed order: config ($ERGOD_SYSTEM_DIR when set, each layer's
files, problems, warnings, locks), activity (the source `auto` or the
configured one would pick from this shell; probed, never started), desktop
(whether full-screen detection works here, and whether GNOME's own break
reminders would prompt too), notifications (the backend chain, opened and
closed again), store (opened read-only), quiet (a `[quiet] processes` program
that has held every break back for hours), service (unit and autostart files,
systemctl's view), daemon (the running daemon's own status over the control
socket, with why prompts are held back) and metrics. A check never raises:
whatever goes wrong is its finding. Nothing is written anywhere. A `problem`
makes the report unhealthy (the CLI exits 1); a `note` is worth reading but
does not stop reminders from working. Reports carry no adherence figures
beyond counts.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ergod import __version__
from ergod.environment import Environment
from ergod.errors import ErgodError

if TYPE_CHECKING:
    from ergod.config import Config


class Status(str, Enum):
    OK = "ok"
    NOTE = "note"
    PROBLEM = "problem"


@dataclass(frozen=True)
class Check:
    """One layer's finding: a one-line summary and detail lines."""

    name: str
    status: Status
    summary: str
    details: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "status": self.status.value,
            "summary": self.summary,
            "details": list(self.details),
        }


@dataclass(frozen=True)
class Report:
    version: str
    checks: tuple[Check, ...]

    @property
    def healthy(self) -> bool:
        return all(c.status is not Status.PROBLEM for c in self.checks)

    def to_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "healthy": self.healthy,
            "checks": [c.to_json() for c in self.checks],
        }

    def text(self) -> str:
        lines = [
            f"ergod {self.version} doctor: " + ("healthy" if self.healthy else "needs attention")
        ]
        for check in self.checks:
            lines.append(f"  {check.status.value:<8} {check.name:<14} {check.summary}")
            lines += [f"  {'':<8} {'':<14}   {d}" for d in check.details]
        return "\n".join(lines)


def _quiet_log() -> logging.Logger:
    log = logging.getLogger("ergod.fleet.doctor.probe")
    log.propagate = False
    log.handlers[:] = [logging.NullHandler()]
    return log


def check_config(env: Environment) -> tuple[Check, Config | None]:
    from ergod.config.layers import Layer, check, evaluate, layer_files

    result = check(env)
    read = {f.path for f in result.files}
    note = env.system_dir_note()  # $ERGOD_SYSTEM_DIR, honoured or not
    details = [] if note is None or note in result.warnings else [note]
    for f in layer_files(env):
        state = "read" if f.path in read else "not present"
        details.append(f"{f.layer.value}: {f.name} ({state})")
    details += [str(p) for p in result.problems]
    details += result.warnings
    locked = len(result.locked)
    policy = sum(1 for f in result.files if f.layer is Layer.POLICY)
    summary = f"{len(result.files)} file{'s' if len(result.files) != 1 else ''} read"
    if policy:
        summary += f"; {policy} policy files lock {locked} keys"
    if result.problems:
        # The daemon drops what is wrong in the user's own file and runs on.
        daemon = evaluate(env, forgiving=True)
        if daemon.problems:
            summary = f"{len(result.problems)} problems; ergod will not start until they are fixed"
            return Check("config", Status.PROBLEM, summary, tuple(details)), None
        summary = f"{len(result.problems)} problems in your file; ergod runs without those settings"
        return Check("config", Status.PROBLEM, summary, tuple(details)), daemon.loaded().config
    status = Status.NOTE if result.warnings else Status.OK
    if result.warnings:
        summary += f"; {len(result.warnings)} warnings"
    return Check("config", status, summary, tuple(details)), result.loaded().config


def check_activity(env: Environment, config: Config | None) -> Check:
    from ergod.activity import select_source
    from ergod.activity.base import SourceUnavailable
    from ergod.daemon.clock import now

    preference = "auto" if config is None else config.activity.source
    try:
        choice = select_source(preference, now, env.environ)
    except SourceUnavailable as exc:
        return Check("activity", Status.PROBLEM, f"source {preference}: cannot work", (str(exc),))
    lines = choice.describe().splitlines()
    details = (
        *(line.strip() for line in lines[1:]),
        "probed from this shell; the daemon's own choice is under daemon",
    )
    if choice.schedule_only and choice.tried:
        return Check("activity", Status.NOTE, "schedule-only mode (no source works here)", details)
    return Check("activity", Status.OK, lines[0].removeprefix("activity source: "), details)


BREAK_REMINDERS_KEY = "/org/gnome/desktop/break-reminders/selected-breaks"
"""GNOME 48+'s own movement and eyesight breaks; a non-empty list means on."""


def gnome_break_reminders(environ: Mapping[str, str]) -> list[str] | None:
    """The breaks GNOME itself reminds of (dconf), or None when dconf cannot be read."""
    import re
    import shutil
    import subprocess

    dconf = shutil.which("dconf", path=environ.get("PATH"))
    if dconf is None:
        return None
    try:
        done = subprocess.run(
            [dconf, "read", BREAK_REMINDERS_KEY],
            env=dict(environ),
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    return re.findall(r"'([^']*)'", done.stdout)


def check_desktop(env: Environment, config: Config | None) -> Check:
    from ergod.quiet.fullscreen import fullscreen_probe

    details: list[str] = []
    notes: list[str] = []
    if config is not None and not config.quiet.fullscreen:
        details.append("full-screen detection: off in the configuration (quiet.fullscreen)")
    else:
        probe, what = fullscreen_probe(env.environ, _quiet_log())
        if probe is None:
            notes.append("full-screen detection is off")
            details.append(f"full-screen detection is off: {what}")
        else:
            probe.close()
            details.append(f"full-screen detection: {what}")
    breaks = gnome_break_reminders(env.environ)
    if breaks:
        notes.append("GNOME's own break reminders are on")
        details.append(
            f"GNOME's own break reminders are on ({', '.join(breaks)}): you get two prompts "
            "per break; turn them off in Settings > Wellbeing (fleets: docs/deployment.md)"
        )
    if notes:
        return Check("desktop", Status.NOTE, "; ".join(notes), tuple(details))
    return Check("desktop", Status.OK, details[0].split(": ", 1)[1], tuple(details))


def check_notifications(env: Environment, config: Config | None) -> Check:
    from ergod.notify import select_notifier

    backend = "auto" if config is None else config.notify.backend
    try:
        choice = select_notifier(backend, env.environ, _quiet_log())
    except ErgodError as exc:
        return Check(
            "notifications", Status.PROBLEM, f"backend {backend}: cannot work", (exc.message,)
        )
    with contextlib.suppress(Exception):  # closing a probe must not fail the report
        choice.notifier.stop()
    details = tuple(f"unavailable: {name}: {why}" for name, why in choice.rejected)
    if choice.chain[0] == "console":
        summary = "console only: prompts go to the log, not to the desktop"
        return Check("notifications", Status.NOTE, summary, details)
    return Check("notifications", Status.OK, " then ".join(choice.chain), details)


def check_store(env: Environment, config: Config | None) -> Check:
    from ergod.store import MissingStoreError, StoreError, open_reader

    path = config.store.db_path(env) if config is not None else env.default_store_path
    try:
        reader = open_reader(path)
    except MissingStoreError:
        return Check("store", Status.NOTE, f"no data yet ({path} does not exist)")
    except StoreError as exc:
        return Check("store", Status.PROBLEM, f"cannot read {path}", (exc.message,))
    try:
        with reader:
            span = reader.first_and_last()
    except Exception as exc:  # a damaged page shows up only when read
        return Check("store", Status.PROBLEM, f"cannot read {path}", (f"{exc}",))
    if span is None:
        return Check("store", Status.OK, f"{path}, empty")
    first, last = span
    return Check("store", Status.OK, f"{path}, {first:%Y-%m-%d} to {last:%Y-%m-%d %H:%M}")


LONG_QUIET = 2 * 3600.0
"""A `[quiet] processes` program running this long with every break suppressed is worth a note."""


def check_quiet(env: Environment, config: Config | None, now: float | None = None) -> Check:
    """Programs of `[quiet] processes` that have held every break back for hours.

    For each listed program running now for `LONG_QUIET` or more, the breaks
    due since it started are read from the store: all of them `suppressed`
    means the user has had no prompt at all while it ran.
    """
    from datetime import datetime, timezone

    from ergod.quiet.processes import ProcessProbe
    from ergod.store import MissingStoreError, StoreError, open_reader

    if config is None:
        return Check("quiet", Status.NOTE, "not checked: the configuration cannot be used")
    calls = _calls_summary(env, config)
    if not config.quiet.processes:
        return Check("quiet", Status.OK, f"{calls}; no programs listed")
    now = time.time() if now is None else now
    since = ProcessProbe(config.quiet.processes, _quiet_log()).running_since()
    long_running = {n: t for n, t in since.items() if now - t >= LONG_QUIET}
    summary = f"{calls}; {len(config.quiet.processes)} programs listed, {len(since)} running"
    if not long_running:
        return Check("quiet", Status.OK, summary)
    try:
        reader = open_reader(config.store.db_path(env))
    except (MissingStoreError, StoreError):
        return Check("quiet", Status.OK, summary)
    details = []
    with reader:
        for name, started in sorted(long_running.items()):
            start = datetime.fromtimestamp(started, timezone.utc)
            rows = reader.breaks_between(start, datetime.fromtimestamp(now + 1, timezone.utc))
            if rows and all(r.outcome.value == "suppressed" for r in rows):
                hours = (now - started) / 3600
                details.append(
                    f"{name} has run for {hours:.0f} h and all {len(rows)} breaks since were "
                    f"suppressed: no prompt while it runs; if it runs all day, remove it: "
                    f"ergod config set quiet.processes '[...]' (calls need no entry)"
                )
    if not details:
        return Check("quiet", Status.OK, summary)
    return Check("quiet", Status.NOTE, "a listed program holds every break back", tuple(details))


def _calls_summary(env: Environment, config: Config) -> str:
    from ergod.quiet.pulse import server_socket

    if not config.quiet.calls:
        return "calls: not watched ([quiet] calls = false)"
    server = server_socket(env.environ)
    if server is None:
        return "calls: camera watched; no sound server found, so no microphone"
    return f"calls: microphone (sound server {server}) and camera watched"


def check_service(env: Environment, runner: Callable[..., Any] | None = None) -> Check:
    from ergod.fleet import service

    try:
        executable: Path | None = service.ergod_executable()
    except ErgodError:
        executable = None
    found = service.installed(env, executable, runner=runner or service.run_command)
    details = []
    starts = False
    for item in found:
        name = f"{item.target.scope.value} {item.target.route.value}"
        if not item.present:
            continue
        answers = ", ".join(a for a in (item.enabled, item.active) if a)
        details.append(f"{name}: {item.path}" + (f" ({answers})" if answers else ""))
        if item.target.route is service.Route.AUTOSTART or item.enabled == "enabled":
            starts = True
        if not item.current and executable is not None:
            details.append(f"{name} runs another ergod than {executable}")
    if not details:
        advice = "ergod does not start at login: run `ergod service install`"
        return Check("service", Status.NOTE, advice)
    if not starts:
        return Check("service", Status.NOTE, "installed but not enabled", tuple(details))
    return Check("service", Status.OK, "starts at login", tuple(details))


def check_daemon(env: Environment) -> Check:
    from ergod.daemon.control import send_request
    from ergod.daemon.instance import check_runtime_dir
    from ergod.errors import NoDaemonError

    try:
        check_runtime_dir(env)  # a socket another user planted is not our daemon
        status = send_request(env, {"command": "status"}, timeout=3.0)
    except NoDaemonError:
        return Check(
            "daemon",
            Status.PROBLEM,
            "not running: no reminders are shown",
            ("start it: `systemctl --user start ergod` or `ergod service install`",),
        )
    except ErgodError as exc:
        return Check("daemon", Status.PROBLEM, "not answering", (exc.message,))
    source = status.get("source") or {}
    summary = f"running, pid {status.get('pid')}, {source.get('mode', '?')} mode"
    details = [
        f"activity source: {source.get('name', '?')}",
        f"notifications: {status.get('notifier', '?')}",
    ]
    if source.get("advice"):
        details.append(f"to measure real sitting time: {source['advice']}")
    for key, label in (("quiet", "prompts held back"), ("attended", "counted as at the desk")):
        if status.get(key):
            details.append(f"{label}: {'; '.join(map(str, status[key]))}")
    if status.get("version") != __version__:
        details.append(f"runs version {status.get('version')}; restart it to run {__version__}")
        return Check("daemon", Status.NOTE, summary, tuple(details))
    return Check("daemon", Status.OK, summary, tuple(details))


def check_metrics(env: Environment, config: Config | None) -> Check:
    from ergod.fleet.metrics import textfile_path

    path = None if config is None else textfile_path(env, config)
    if path is None:
        return Check("metrics", Status.OK, "off")
    try:
        age = time.time() - path.stat().st_mtime
    except OSError:
        return Check("metrics", Status.NOTE, f"{path} not written yet")
    return Check("metrics", Status.OK, f"{path}, written {age:.0f} s ago")


def examine(env: Environment) -> Report:
    """Every check, in order; never raises."""
    config: Config | None = None
    try:
        config_check, config = check_config(env)
    except Exception as exc:
        config_check = Check("config", Status.PROBLEM, f"check failed: {type(exc).__name__}: {exc}")
    steps: list[tuple[str, Callable[[], Check]]] = [
        ("activity", lambda: check_activity(env, config)),
        ("desktop", lambda: check_desktop(env, config)),
        ("notifications", lambda: check_notifications(env, config)),
        ("store", lambda: check_store(env, config)),
        ("quiet", lambda: check_quiet(env, config)),
        ("service", lambda: check_service(env)),
        ("daemon", lambda: check_daemon(env)),
        ("metrics", lambda: check_metrics(env, config)),
    ]
    checks = [config_check]
    for name, run in steps:
        try:
            checks.append(run())
        except Exception as exc:  # the doctor reports a bug as a finding, not a traceback
            checks.append(Check(name, Status.PROBLEM, f"check failed: {type(exc).__name__}: {exc}"))
    return Report(__version__, tuple(checks))
