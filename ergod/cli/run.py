"""`ergod run`: the daemon, in the foreground (systemd or a terminal)."""

from __future__ import annotations

import argparse
from typing import Any

from ergod.config import add_config_argument


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "run",
        help="run the reminder daemon in the foreground",
        description=(
            "Measure sitting time and show break reminders until stopped "
            "(Ctrl-C, SIGTERM). Reloads its configuration on SIGHUP or `ergod reload`."
        ),
    )
    add_config_argument(parser)
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        default="info",
        help="how much to log on stderr (default: info)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import logging

    from ergod.activity.base import SourceUnavailable
    from ergod.daemon import journal
    from ergod.daemon.shell import Daemon
    from ergod.environment import Environment
    from ergod.errors import ErgodError

    env = Environment.from_os()
    log = journal.setup(env.environ, getattr(logging, args.log_level.upper()))
    try:
        return Daemon(env, args.config, log=log).run()
    except SourceUnavailable as exc:
        raise ErgodError(str(exc)) from None
