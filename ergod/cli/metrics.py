"""`ergod metrics write | collect`: the Prometheus textfile for IT (opt-in).

`write` refreshes this user's `[metrics] textfile` once (the daemon does it
every `[metrics] interval`); `--output` writes elsewhere, `-` to stdout.
`collect --dir DIR --output FILE` merges the per-user files of a directory
into one host file (run by ergod-metrics-collect.timer as root;
ergod.fleet.collect). The format and what is in it: ergod.fleet.metrics and
docs/privacy.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ergod.config import add_config_argument

if TYPE_CHECKING:
    from ergod.environment import Environment


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "metrics",
        help="write aggregate metrics for Prometheus (node_exporter textfile)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    actions = parser.add_subparsers(dest="metrics_command", metavar="ACTION", required=True)
    write = actions.add_parser("write", help="write this user's metrics file once")
    write.add_argument(
        "--output", metavar="FILE", help="write here instead of [metrics] textfile; - for stdout"
    )
    add_config_argument(write)
    write.set_defaults(func=_write)
    collect = actions.add_parser("collect", help="merge per-user files into one host file")
    collect.add_argument(
        "--dir", required=True, type=Path, metavar="DIR", help="where the per-user files are"
    )
    collect.add_argument(
        "--output", metavar="FILE", default="-", help="the host file (default: stdout)"
    )
    collect.add_argument(
        "--stale-after",
        metavar="DURATION",
        default="15m",
        help="a file older than this counts as a daemon not up (default 15m; 0 = never)",
    )
    collect.set_defaults(func=_collect)


def _write(args: argparse.Namespace) -> int:
    import sys
    from datetime import datetime, timezone

    from ergod.config.compose import load
    from ergod.daemon.instance import running_pid
    from ergod.environment import Environment
    from ergod.errors import UsageError
    from ergod.fleet import metrics

    env = Environment.from_os()
    config = load(env, args.config).config
    up = running_pid(env) is not None
    schedule_only = up and _daemon_mode(env) == "schedule-only"
    if args.output:
        now = datetime.now(timezone.utc)
        snap = metrics.snapshot(env, config, up=up, now=now, schedule_only=schedule_only)
        text = metrics.render(snap)
        if args.output == "-":
            sys.stdout.write(text)
            return 0
        path = Path(args.output)
        metrics.write_file(path, text)
    else:
        written = metrics.write_textfile(env, config, up=up, schedule_only=schedule_only)
        if written is None:
            raise UsageError(
                "metrics are off: set [metrics] textfile "
                "(`ergod config set metrics.textfile PATH`) or give --output"
            )
        path = written
    print(f"wrote {path}")
    return 0


def _daemon_mode(env: Environment) -> str | None:
    """The running daemon's mode (`idle-first`, `schedule-only`...); None if it cannot say."""
    from ergod.daemon.control import send_request
    from ergod.errors import ErgodError

    try:
        status = send_request(env, {"command": "status"}, timeout=3.0)
    except ErgodError:
        return None
    mode = (status.get("source") or {}).get("mode")
    return mode if isinstance(mode, str) else None


def _collect(args: argparse.Namespace) -> int:
    import sys

    from ergod.durations import parse_duration
    from ergod.errors import UsageError
    from ergod.fleet import metrics
    from ergod.fleet.collect import collect

    try:
        stale = parse_duration(args.stale_after)
    except ValueError as exc:
        raise UsageError(f"--stale-after: {exc}") from None
    output = None if args.output == "-" else Path(args.output)
    collected = collect(args.dir, exclude=output, stale_after=stale or None)
    for warning in collected.warnings:
        sys.stderr.write(f"ergod: warning: {warning}\n")
    for path, reason in collected.skipped:
        sys.stderr.write(f"ergod: warning: left out {path}: {reason}\n")
    text = metrics.render(collected.snapshot)
    if output is None:
        sys.stdout.write(text)
    else:
        metrics.write_file(output, text)
    return 0
