"""`ergod simulate`: replay an activity trace through the daemon's engine.

`ergod simulate --trace FILE [--config FILE] [--json]` runs the same engine and
the same configuration layers as `ergod run` on a virtual clock and prints the
spec's JSON object or a readable timeline. `--record --start T` also writes the
result into the store as if the trace began at local time T (demos, report
tests); `--from-history [--week W]` replays a recorded week's activity under
`--config` and compares the prompts with what happened (ergod/summary/replay.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ergod.config import add_config_argument


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "simulate",
        help="replay an activity trace and show the breaks it would get",
        description=(
            "Replay a trace (one 'SECONDS,EVENT' per line) through ergod's engine "
            "under your configuration, on a virtual clock."
        ),
    )
    parser.add_argument("--trace", metavar="FILE", type=Path)
    add_config_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the JSON object")
    # Summary helpers (ergod/summary/replay.py): fill the store, or replay a stored week.
    parser.add_argument(
        "--record", action="store_true", help="write the result into the store (needs --start)"
    )
    parser.add_argument("--start", metavar="YYYY-MM-DDTHH:MM", help="local moment of second 0")
    parser.add_argument(
        "--from-history",
        action="store_true",
        help="replay a recorded week under --config and compare the prompts",
    )
    parser.add_argument("--week", metavar="YYYY-Www", help="with --from-history (default: last)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ergod.config.compose import engine_rules, load_for_command
    from ergod.replay.simulation import simulate, timeline, to_json
    from ergod.replay.trace import read_trace

    env, loaded = load_for_command(args.config)
    from ergod.summary.replay import check_arguments

    check_arguments(args)
    if args.from_history:
        from ergod.summary.replay import from_history

        return from_history(args, env, loaded)
    events = read_trace(args.trace)
    result = simulate(events, engine_rules(loaded.config))
    if args.record:
        from ergod.summary.replay import record_trace

        record_trace(args, env, loaded, events, result)
    if args.json:
        json.dump(to_json(result), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(timeline(result)) + "\n")
    return 0
