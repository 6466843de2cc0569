"""What a click in the tray menu does, through what the daemon offers the tray.

`TrayHost` is the tray's whole view of the daemon: control requests (the
same ones `ergod pause`, `snooze`, ... send, answered on the engine thread),
showing one exercise card, opening this week's summary, and `refresh`, which
posts a job so the daemon re-reads who watches its glance. `perform(choice,
...)` maps a menu choice onto them; "Pause until tomorrow" pauses until the
next start of the configured schedule (00:00 by default: midnight).

`open_week_summary` writes this week's HTML report with the installed
`ergod summary --format html` (a child process: the daemon keeps none of the
report code in memory) into ergod's private runtime directory, then opens it
with `xdg-open`, the desktop's own choice of browser. It runs on a thread of
its own and only logs what fails.

Threading contract: `perform` runs on a short-lived thread per click (never
the bus thread: a request waits for the engine thread).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ergod.daemon.control import Command, ControlError, Request
from ergod.durations import seconds_until
from ergod.tray import menu

SUMMARY_FILE = "week-summary.html"
LOG_LANGUAGE = "en"
_SUMMARY_TIMEOUT = 60.0


@dataclass(frozen=True)
class TrayHost:
    """What the tray may ask of the daemon; see the module doc."""

    request: Callable[[Request], Mapping[str, object]]
    show_exercise: Callable[[str], None]
    open_summary: Callable[[], None]
    refresh: Callable[[], None]


def perform(choice: menu.Choice, host: TrayHost, resume_minute: int, now: datetime) -> str:
    """Do what `choice` asks; the daemon's confirmation (or refusal) as text."""
    action = choice.action
    if action == menu.SUMMARY:
        host.open_summary()
        return "opening this week's summary"
    if action == menu.EXERCISE:
        host.show_exercise(choice.exercise)
        return f"showing {choice.exercise}"
    # The answer goes to the log, which stays in English.
    if action in menu.PAUSE_SECONDS:
        request = Request(Command.PAUSE, menu.PAUSE_SECONDS[action], LOG_LANGUAGE)
    elif action == menu.PAUSE_TOMORROW:
        request = Request(Command.PAUSE, seconds_until(resume_minute, now), LOG_LANGUAGE)
    else:
        request = Request(Command(action), language=LOG_LANGUAGE)
    try:
        result = host.request(request)
    except ControlError as exc:
        return exc.message
    return str(result.get("message", action))


def open_week_summary(
    runtime: Path, extra_config: Sequence[Path], environ: Mapping[str, str], log: logging.Logger
) -> None:
    """Write and open this week's HTML summary, on a thread of its own."""
    thread = threading.Thread(
        target=_write_and_open,
        args=(runtime / SUMMARY_FILE, tuple(extra_config), dict(environ), log),
        name="ergod-summary",
        daemon=True,
    )
    thread.start()


def _write_and_open(
    path: Path, extra: tuple[Path, ...], environ: dict[str, str], log: logging.Logger
) -> None:
    argv = [sys.executable, "-m", "ergod", "summary", "--format", "html", "--output", str(path)]
    for config in extra:
        argv += ["--config", str(config)]
    try:
        done = subprocess.run(
            argv, env=environ, capture_output=True, text=True, timeout=_SUMMARY_TIMEOUT
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("the weekly summary could not be written: %s", exc)
        return
    if done.returncode != 0:
        log.warning("the weekly summary could not be written: %s", done.stderr.strip())
        return
    opener = shutil.which("xdg-open", path=environ.get("PATH"))
    if opener is None:
        log.warning("this week's summary is in %s (no xdg-open to open it)", path)
        return
    try:
        subprocess.run(
            [opener, str(path)],
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=_SUMMARY_TIMEOUT,
            start_new_session=True,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("xdg-open %s failed: %s", path, exc)
