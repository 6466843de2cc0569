"""`ergod summary`: the weekly report of sitting and break prompts, from the store.

`ergod summary [--week 2026-W47 | --last N] [--format text|json|csv|html]
[--output FILE [--force]] [--config FILE]` reads the configured store
read-only. `--output` creates FILE 0600 (the HTML report 0644, by choice: it
is made to be shared), never through a symlink, and refuses an existing FILE
unless `--force`. Weeks
are ISO weeks in local time; the default is the current week. `--last N` gives
the N latest weeks, the current one last (JSON: an array of week objects).
The JSON contract is docs/summary.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ergod.config import add_config_argument
from ergod.errors import UsageError

if TYPE_CHECKING:
    from ergod.summary.model import WeekSummary

FORMATS = ("text", "json", "csv", "html")


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "summary",
        help="show the week's sitting time and break prompts followed",
        description=(
            "Summarize an ISO week (local time) of recorded sitting and breaks: totals, "
            "per-day charts, the week before. JSON fields: docs/summary.md."
        ),
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--week", metavar="YYYY-Www", help="the ISO week, e.g. 2026-W47")
    which.add_argument(
        "--last", metavar="N", type=str, help="the N latest weeks, this one included"
    )
    parser.add_argument("--format", default="text", help="text (default), json, csv or html")
    parser.add_argument(
        "--output",
        metavar="FILE",
        type=Path,
        help="write here, not to stdout (mode 0600; 0644 for html)",
    )
    parser.add_argument("--force", action="store_true", help="replace FILE if it exists")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from datetime import date

    from ergod.summary.model import IsoWeek

    if args.format not in FORMATS:
        raise UsageError(f"unknown format {args.format!r}: use one of {', '.join(FORMATS)}")
    if args.week is not None:
        weeks = [IsoWeek.parse(args.week)]
    else:
        count = _count(args.last) if args.last is not None else 1
        current = IsoWeek.containing(date.today())
        weeks = [current.shifted(-i) for i in reversed(range(count))]

    from ergod.config.compose import load_for_command
    from ergod.store import open_reader
    from ergod.summary.query import load_week
    from ergod.summary.replay import local_zone

    env, loaded = load_for_command(args.config)
    zone = local_zone()
    with open_reader(loaded.config.store.db_path(env)) as reader:
        summaries = [load_week(reader, week, zone) for week in weeks]

    to_file = args.output is not None
    text = _render(args.format, summaries, many=args.last is not None, tty=_tty(to_file))
    if to_file:
        from ergod.files import write_atomically

        # The HTML report is for sharing (a browser, a web server); the rest is yours.
        mode = 0o644 if args.format == "html" else 0o600
        try:
            write_atomically(args.output, text, mode=mode, replace=args.force)
        except FileExistsError:
            raise UsageError(f"{args.output} exists: add --force to replace it") from None
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    else:
        sys.stdout.write(text)
    return 0


def _count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= 520:
        raise UsageError(f"bad --last {text!r}: a whole number of weeks from 1 to 520")
    return count


def _tty(to_file: bool) -> bool:
    return not to_file and sys.stdout.isatty()


def _render(fmt: str, summaries: list[WeekSummary], many: bool, tty: bool) -> str:
    if fmt == "json":
        import json

        from ergod.summary.contract import to_json

        objects = [to_json(s) for s in summaries]
        return json.dumps(objects if many else objects[0], indent=1) + "\n"
    if fmt == "csv":
        from ergod.summary.render_csv import render_csv

        return render_csv(summaries)
    if fmt == "html":
        from ergod.summary.render_html import render_html

        return render_html(summaries)
    from ergod.summary.render_text import render_weeks

    return render_weeks(summaries, color=tty)
