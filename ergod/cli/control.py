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
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ergod.core.quiet import PauseGrant

from ergod.durations import human_duration, seconds_until

BAR_FORMATS = ("text", "waybar", "i3blocks")
FOLLOW_RETRY = 5.0
"""Seconds between attempts to reach a daemon that is not running (`--follow`)."""

_DEFAULT_CONFIRMATIONS = {
    "pause": "paused",
    "resume": "resumed",
    "snooze": "snoozed",
    "skip": "skipped",
    "reload": "configuration reloaded",
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


def _send(request: dict[str, object]) -> dict[str, Any]:
    from ergod.daemon.instance import check_runtime_dir
    from ergod.daemon.protocol import send_request
    from ergod.environment import Environment

    env = Environment.from_os()
    check_runtime_dir(env)
    return send_request(env, request)


def _confirm(command: str, result: Mapping[str, Any]) -> int:
    message = result.get("message")
    text = message if isinstance(message, str) and message else _DEFAULT_CONFIRMATIONS[command]
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
        sys.stdout.write(_SHORTENED)
    return code


_SHORTENED = "shortened to the longest pause allowed here ([quiet] max_pause)\n"


def _bounded(seconds: float | None) -> PauseGrant:
    """`[quiet] max_pause` applied here too, so `ergod pause` says what it got.

    The daemon applies it as well (ergod.core.quiet.bounded_pause); a
    configuration that cannot be read leaves the decision to the daemon.
    """
    from ergod.config.compose import load
    from ergod.core.quiet import bounded_pause
    from ergod.environment import Environment
    from ergod.errors import ErgodError

    try:
        max_pause = load(Environment.from_os()).config.quiet.max_pause
    except ErgodError:
        max_pause = 0.0
    return bounded_pause(seconds, max_pause)


def _snooze(args: argparse.Namespace) -> int:
    seconds = None if args.duration is None else _duration(args.duration)
    return _confirm("snooze", _send({"command": "snooze", "seconds": seconds}))


def _status(args: argparse.Namespace) -> int:
    if args.follow:
        return _follow("json" if args.json else args.format or "text")
    if args.format:
        return _glance_once(args.format)
    result = _send({"command": "status"})
    if args.json:
        json.dump(result, sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("".join(f"{line}\n" for line in render_status(result, datetime.now())))
    return 0


def _plural(count: object, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _paused_text(paused_until: object, now: datetime) -> str:
    if paused_until == "indefinitely":
        return "paused until resume"
    if not isinstance(paused_until, str):
        return "paused"
    return f"paused until {_clock_text(paused_until, now)}"


def _headline(result: Mapping[str, Any]) -> str:
    version = result.get("version")
    pid = result.get("pid")
    text = "ergod" + (f" {version}" if version else "") + " running"
    if pid is not None:
        text += f" (pid {pid})"
    parts = []
    source = result.get("source")
    if isinstance(source, Mapping) and source.get("name"):
        mode = ", ".join(str(source[k]) for k in ("protocol", "mode") if source.get(k))
        parts.append(f"activity: {source['name']}" + (f" ({mode})" if mode else ""))
    if result.get("notifier"):
        parts.append(f"notifications: {result['notifier']}")
    return text + (" \u2014 " + "; ".join(parts) if parts else "")


def _sitting_line(result: Mapping[str, Any]) -> str | None:
    if "sitting_seconds" not in result:
        return None
    sitting = _number(result["sitting_seconds"])
    if sitting is None:
        return "sitting: not measured"
    idle = _number(result.get("idle_seconds"))
    return f"sitting for {human_duration(sitting)}" + (
        f" (idle {human_duration(idle)})" if idle is not None else ""
    )


def _open_line(result: Mapping[str, Any]) -> str | None:
    if "open_break" not in result:
        return None
    block = result["open_break"]
    if not isinstance(block, Mapping):
        return "open: no break"
    text = f"open: {block.get('kind', '?')} break"
    since = _number(block.get("since_seconds"))
    if since is not None:
        text += f" for {human_duration(since)}"
    if "prompts" in block:
        text += f", {_plural(block['prompts'], 'prompt')}"
    if "snoozes" in block:
        text += f", {_plural(block['snoozes'], 'snooze')}"
    return text


def _next_line(result: Mapping[str, Any]) -> str | None:
    if "next" not in result:
        return None
    block = result["next"]
    if not isinstance(block, Mapping):
        return "next: nothing due"
    delay = _number(block.get("in_seconds"))
    return f"next: {block.get('kind', '?')}" + (
        f" in {human_duration(delay)}" if delay is not None else ""
    )


def _attended_line(result: Mapping[str, Any]) -> str | None:
    reasons = result.get("attended")
    shown = [str(r) for r in reasons] if isinstance(reasons, list) else []
    return "present without input: " + ", ".join(shown) if shown else None


def _quiet_line(result: Mapping[str, Any], now: datetime) -> str | None:
    reasons = result.get("quiet")
    paused = result.get("paused_until")
    shown = [str(r) for r in reasons] if isinstance(reasons, list) else []
    if paused is not None:
        text = _paused_text(paused, now)
        shown = [text if r == "paused" else r for r in shown]
        if text not in shown:
            shown.insert(0, text)
    return "quiet: " + ", ".join(shown) if shown else None


def _daily_line(result: Mapping[str, Any], now: datetime) -> str | None:
    block = result.get("daily_limit")
    if not isinstance(block, Mapping):
        return None
    limit = _number(block.get("limit_seconds"))
    active = _number(block.get("active_seconds"))
    shown = "?" if limit is None else human_duration(limit)
    if active is None:
        return f"today: active time not measured (daily limit {shown})"
    reached = block.get("reached_at")
    if isinstance(reached, str):
        when = _clock_text(reached, now)
        return f"today: active {human_duration(active)}; daily limit {shown} reached at {when}"
    return f"today: active {human_duration(active)} of the daily limit {shown}"


def _clock_text(iso: str, now: datetime) -> str:
    """`14:30` today, `Mon 09:00` another day, for a local ISO time."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.strftime("%H:%M") if when.date() == now.date() else when.strftime("%a %H:%M")


def _resources_line(result: Mapping[str, Any]) -> str | None:
    parts = []
    uptime = _number(result.get("uptime_seconds"))
    if uptime is not None:
        parts.append(f"up {human_duration(uptime)}")
    rss = _number(result.get("rss_bytes"))
    if rss is not None:
        parts.append(f"memory {rss / 1048576:.1f} MiB")
    cpu = _number(result.get("cpu_seconds"))
    if cpu is not None:
        parts.append(f"CPU {cpu:.1f} s")
    return ", ".join(parts) or None


def render_status(result: Mapping[str, Any], now: datetime) -> list[str]:
    """The human summary of a status result; keys that are missing are left out."""
    lines = [_headline(result)]
    source = result.get("source")
    if isinstance(source, Mapping) and source.get("why"):
        lines.append(f"why: {source['why']}")
    if isinstance(source, Mapping) and source.get("advice"):
        lines.append(f"advice: {source['advice']}")
    for line in (
        _sitting_line(result),
        _open_line(result),
        _next_line(result),
        _quiet_line(result, now),
        _attended_line(result),
        _daily_line(result, now),
        _resources_line(result),
    ):
        if line is not None:
            lines.append(line)
    files = result.get("config_files")
    if isinstance(files, list) and files:
        lines.append("config: " + ", ".join(str(f) for f in files))
    if result.get("system_dir"):
        lines.append(f"system config: {result['system_dir']}")
    if result.get("store"):
        lines.append(f"store: {result['store']}")
    return lines


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
