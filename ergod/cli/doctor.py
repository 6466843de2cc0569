"""`ergod doctor`: one read-only health report of config, source, notifications, store,
service and daemon, for a help desk to ask for (`--json` for tickets and scripts).

Exit 0 when healthy, 1 when something needs attention. The checks: ergod.fleet.doctor.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "doctor",
        help="check every part of ergod and print a compact report",
        description="Check configuration layers, activity source, notifications, the "
        "adherence store, the login service and the running daemon. Changes nothing.",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json
    import logging

    from ergod.environment import Environment
    from ergod.fleet.doctor import examine

    # The probes log their choices for the daemon's journal; the report says it all.
    logger = logging.getLogger("ergod")
    logger.handlers[:] = [logging.NullHandler()]
    logger.propagate = False
    report = examine(Environment.from_os())
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(report.text())
    return 0 if report.healthy else 1
