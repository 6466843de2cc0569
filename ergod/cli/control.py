"""`ergod status`, `pause`, `resume`, `snooze`, `skip`, `reload`: talk to the daemon.

    ergod status [--json | --format text|waybar|i3blocks] [--follow]
    ergod pause [DURATION | --until HH:MM]
    ergod resume
    ergod snooze [DURATION]
    ergod skip
    ergod reload

Each sends one request over the control socket (`ergod.daemon.control`) and prints
the reply: `status` a short summary (or the result object with `--json`), the
others the one-line confirmation the daemon sends back. Exit codes: 0 done,
1 the daemon refused, 2 bad arguments, 3 no daemon running. `--until` is
resolved here, in local time (today, or tomorrow when that time has passed),
so the daemon only ever receives seconds. `pause` is shortened to `[quiet]
max_pause` when that is set (and says so). Every command first checks that the
runtime directory is the user's own (`check_runtime_dir`). Stdlib only at top level: these run
often and must start fast.

What a person reads is in the command's language: `[notify] language` when
the configuration sets it (read forgivingly: a configuration it cannot read
leaves the environment's language), else the environment's. The status text
and the bar lines are built here; the daemon builds the other answers, in the
language the request names. `--json` stays in English keys and values.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ergod.core.quiet import PauseGrant

from ergod.cli.status_text import render_status
from ergod.durations import seconds_until
from ergod.i18n import N_, _, current

BAR_FORMATS = ("text", "waybar", "i3blocks")
FOLLOW_RETRY = 5.0
"""Seconds between attempts to reach a daemon that is not running (`--follow`)."""

_DEFAULT_CONFIRMATIONS = {
    "pause": N_("paused"),
    "resume": N_("resumed"),
    "snooze": N_("snoozed"),
    "skip": N_("skipped"),
    "reload": N_("configuration reloaded"),
}


def register(sub: Any) -> None:
    status = sub.add_parser(
        "status",
        help="show what the running daemon measures and plans",
        description="Show the running daemon's state: sitting time, next prompt, quiet time.",
    )
    shape = status.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="print the status as one JSON object")
    shape.add_argument(
        "--format",
        choices=BAR_FORMATS,
        help="one line for a panel: text, waybar (JSON) or i3blocks (JSON)",
    )
    status.add_argument(
        "--follow",
        action="store_true",
        help="stay connected and print a new line each time it changes (for bars)",
    )
    status.set_defaults(func=_status)

    pause = sub.add_parser(
        "pause",
        help="pause reminders (for a while, until a time, or until resume)",
        description="Pause reminders. With no argument, until `ergod resume`.",
    )
    pause.add_argument("duration", nargs="?", metavar="DURATION", help='e.g. "30m", "1h30m"')
    pause.add_argument("--until", metavar="HH:MM", help="until this local time (today or tomorrow)")
    pause.set_defaults(func=_pause)

    resume = sub.add_parser("resume", help="end a pause", description="End a pause now.")
    resume.set_defaults(func=_simple, command="resume")

    snooze = sub.add_parser(
        "snooze",
        help="postpone the open reminder",
        description="Postpone the open reminder, by its configured snooze or by DURATION.",
    )
    snooze.add_argument("duration", nargs="?", metavar="DURATION", help='e.g. "5m"')
    snooze.set_defaults(func=_snooze)

    skip = sub.add_parser(
        "skip", help="dismiss the open reminder", description="Dismiss the open reminder."
    )
    skip.set_defaults(func=_simple, command="skip")

    reload = sub.add_parser(
        "reload",
        help="re-read the configuration",
        description="Re-read the configuration; an invalid one is reported and not used.",
    )
    reload.set_defaults(func=_simple, command="reload")


def _send(request: dict[str, object], *, answer: bool = True) -> dict[str, Any]:
    """Send a request; an `answer` (a message) comes in this command's language."""
    from ergod.daemon.instance import check_runtime_dir
    from ergod.daemon.protocol import send_request
    from ergod.environment import Environment

    env = Environment.from_os()
    check_runtime_dir(env)
    if answer:
        _configured()
        request = {**request, "language": current().code}
    return send_request(env, request)


@functools.cache
def _configured() -> float:
    """Speak `[notify] language` when the configuration sets it (see the module
    doc); `[quiet] max_pause` (0: none, or the configuration cannot be read).
    Read once per command."""
    from ergod.config.compose import load
    from ergod.environment import Environment
    from ergod.errors import ErgodError
    from ergod.i18n import activate

    env = Environment.from_os()
    try:
        config = load(env).config
    except ErgodError:
        return 0.0
    activate(config.notify.language, env.environ)
    return config.quiet.max_pause


def _confirm(command: str, result: Mapping[str, Any]) -> int:
    message = result.get("message")
    text = message if isinstance(message, str) and message else _(_DEFAULT_CONFIRMATIONS[command])
    sys.stdout.write(f"{text}\n")
    return 0


def _simple(args: argparse.Namespace) -> int:
    return _confirm(args.command, _send({"command": args.command}))


def _duration(text: str) -> float:
    from ergod.durations import parse_duration
    from ergod.errors import UsageError

    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise UsageError(f"bad duration {text!r}: {exc}") from None
    if seconds <= 0:
        raise UsageError(f"bad duration {text!r}: expected a duration of more than 0 seconds")
    return seconds


def _pause(args: argparse.Namespace) -> int:
    from ergod.durations import parse_clock_time
    from ergod.errors import UsageError

    if args.duration is not None and args.until is not None:
        raise UsageError("pause takes a DURATION or --until HH:MM, not both")
    seconds: float | None = None
    if args.duration is not None:
        seconds = _duration(args.duration)
    elif args.until is not None:
        try:
            minutes = parse_clock_time(args.until)
        except ValueError as exc:
            raise UsageError(f"bad --until {args.until!r}: {exc}") from None
        seconds = seconds_until(minutes, datetime.now())
    grant = _bounded(seconds)
    code = _confirm("pause", _send({"command": "pause", "seconds": grant.seconds}))
    if grant.shortened:
        sys.stdout.write(
            _("shortened to the longest pause allowed here ([quiet] max_pause)") + "\n"
        )
    return code


def _bounded(seconds: float | None) -> PauseGrant:
    """`[quiet] max_pause` applied here too, so `ergod pause` says what it got.

    The daemon applies it as well (ergod.core.quiet.bounded_pause); a
    configuration that cannot be read leaves the decision to the daemon.
    """
    from ergod.core.quiet import bounded_pause

    return bounded_pause(seconds, _configured())


def _snooze(args: argparse.Namespace) -> int:
    seconds = None if args.duration is None else _duration(args.duration)
    return _confirm("snooze", _send({"command": "snooze", "seconds": seconds}))


def _status(args: argparse.Namespace) -> int:
    if args.follow:
        return _follow("json" if args.json else args.format or "text")
    if args.format:
        return _glance_once(args.format)
    if not args.json:
        _configured()  # the text in `[notify] language`; --json stays English
    result = _send({"command": "status"}, answer=False)
    if args.json:
        json.dump(result, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("".join(f"{line}\n" for line in render_status(result, datetime.now())))
    return 0


def _line(fmt: str, result: Mapping[str, Any] | None) -> str:
    """The line for one glance reply (None: no daemon) in format `fmt`."""
    from ergod.daemon.barview import FORMATS, Glance
    from ergod.errors import ErgodError

    if fmt == "json":
        return json.dumps(dict(result) if result is not None else None, ensure_ascii=False)
    try:
        glance = None if result is None else Glance.from_json(result)
    except ValueError as exc:
        raise ErgodError(f"ergod sent a status that is not understood ({exc})") from None
    return FORMATS[fmt](glance)


def _glance_once(fmt: str) -> int:
    from ergod.daemon.control import follow_replies
    from ergod.environment import Environment
    from ergod.errors import NoDaemonError

    if fmt != "json":
        _configured()
    try:
        result = next(iter(follow_replies(Environment.from_os())), None)
    except NoDaemonError:
        result = None
    sys.stdout.write(_line(fmt, result) + "\n")
    return 0


def _follow(fmt: str) -> int:
    """Print a line per change until interrupted; "off" while no daemon runs."""
    import time

    from ergod.daemon.control import follow_replies
    from ergod.environment import Environment
    from ergod.errors import ErgodError, NoDaemonError

    env = Environment.from_os()
    if fmt != "json":
        _configured()
    retry = float(os.environ.get("ERGOD_FOLLOW_RETRY_SECONDS", "") or FOLLOW_RETRY)
    shown: str | None = None
    said = ""
    while True:
        try:
            for result in follow_replies(env):
                shown = _show_new(_line(fmt, result), shown)
        except NoDaemonError:
            pass
        except ErgodError as exc:
            # A daemon killed mid-line or too busy: a bar wants to carry on.
            if exc.message != said:
                sys.stderr.write(f"ergod: {exc.message}\n")
                said = exc.message
        shown = _show_new(_line(fmt, None), shown)
        time.sleep(retry)


def _show_new(line: str, shown: str | None) -> str:
    """Print `line` unless it is the one on show: a bar redraws only on change."""
    if line != shown:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    return line
