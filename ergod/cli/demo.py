"""`ergod demo`: fill an empty store with generated weeks, to see the reports before real use.

`ergod demo [--weeks 4] [--week YYYY-Www] [--seed N] [--config FILE]` generates
`--weeks` weeks of varied desk days ending with `--week` (default: the current
week; ergod/replay/demo.py says what a day holds), replays them through the engine
under your configuration, and records them in the configured store at their
real local clock times, as `ergod simulate --record` does. It refuses a store
that already holds anything, so real history is never mixed with made-up days;
`ergod data forget --all` empties the store again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ergod.config import add_config_argument
from ergod.errors import ErgodError, UsageError


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "demo",
        help="fill an empty store with generated weeks, to try the summary",
        description=(
            "Generate varied desk weeks (a day off, a long call, lunch and meetings), "
            "replay them through the engine and record them in the store."
        ),
    )
    parser.add_argument("--weeks", metavar="N", default="4", help="how many weeks (1 to 52)")
    parser.add_argument("--week", metavar="YYYY-Www", help="the last week filled (default: now)")
    parser.add_argument("--seed", metavar="N", default="1", help="another seed, other days")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from datetime import date

    from ergod.summary.model import IsoWeek

    count = _number(args.weeks, "--weeks", 1, 52)
    seed = _number(args.seed, "--seed", 0, 2**31)
    last = IsoWeek.parse(args.week) if args.week else IsoWeek.containing(date.today())
    first = last.shifted(1 - count)

    from ergod.config.compose import engine_rules, load_for_command
    from ergod.core.model import EventKind
    from ergod.replay.demo import demo_days
    from ergod.replay.simulation import simulate_pairs
    from ergod.summary.replay import day_trace, local_zone, write_store

    env, loaded = load_for_command(args.config)
    path = loaded.config.store.db_path(env)
    _require_empty(path)
    start, pairs = day_trace(demo_days(count, seed), first.monday, local_zone())
    result = simulate_pairs(pairs, engine_rules(loaded.config))
    inputs = [t for t, kind in pairs if kind is EventKind.INPUT]
    done = write_store(path, result, inputs, start)
    from ergod.i18n import _, ngettext

    weeks = str(last) if count == 1 else _("{first} to {last}").format(first=first, last=last)
    bouts = ngettext("{count} bout", "{count} bouts", done.bouts).format(count=done.bouts)
    breaks = ngettext("{count} break", "{count} breaks", done.breaks).format(count=done.breaks)
    recorded = _("recorded {bouts} and {breaks}, {weeks}, into {path}").format(
        bouts=bouts, breaks=breaks, weeks=weeks, path=path
    )
    see = _(
        "see them with: {summary}  (or --last {count}, --format html --output week.html); "
        "remove them with: {forget}"
    ).format(summary=f"ergod summary --week {last}", count=count, forget="ergod data forget --all")
    sys.stderr.write(f"ergod: {recorded}\nergod: {see}\n")
    return 0


def _number(text: str, flag: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise UsageError(f"bad {flag} {text!r}: a whole number from {low} to {high}")
    return value


def _require_empty(path: Path) -> None:
    from ergod.store import MissingStoreError, open_reader

    try:
        reader = open_reader(path)
    except MissingStoreError:
        return
    with reader:
        span = reader.first_and_last()
    if span is not None:
        raise ErgodError(
            f"the store {path} already holds history ({span[0]:%Y-%m-%d} to "
            f"{span[1]:%Y-%m-%d}): the demo fills an empty store only; "
            "`ergod data forget --all` empties it, or point [store] path elsewhere"
        )
