"""`ergod data`: the user's own adherence history, to take away or to delete.

    ergod data export [--format jsonl|csv] [--table TABLE] [--output FILE [--force]]
                      [--config FILE]
    ergod data forget (--before YYYY-MM-DD | --all) [--yes] [--config FILE]

`export` writes every table as JSON lines (one object per row, with a `table`
field) or one table as CSV (`--table`, default `breaks`, with a header line);
times are ISO 8601 in the local time they were recorded in, with their offset.
`--output FILE` creates FILE readable by the user alone (0600), never writes
through a symlink, and refuses an existing FILE unless `--force`.
`forget` deletes the records before local midnight of DATE, or all of them
(and, through a mark in the file, what a running daemon still holds from before
now: a break open at the time never comes back), then compacts the file so the
deleted rows are gone from disk too; when another program keeps it from doing
so, it says so and exits 1. It asks on a terminal unless `--yes`; without a
terminal it needs `--yes`. The database
is `[store] path`. Stdlib only at top level: the store loads inside `run`.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ergod.errors import ErgodError, UsageError
from ergod.i18n import _, ngettext

if TYPE_CHECKING:
    from ergod.store import StoreReader


def register(sub: Any) -> None:
    from ergod.config import add_config_argument

    parser = sub.add_parser(
        "data",
        help="export or delete your stored break history",
        description="Export your stored break history, or delete it.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = actions.add_parser(
        "export",
        help="write your history as JSON lines or CSV",
        description="Write the stored history: every table as JSON lines, or one table as CSV.",
    )
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument(
        "--table",
        choices=("bouts", "breaks", "activity", "daemon_events"),
        help="only this table (CSV: the table to write, default breaks)",
    )
    export.add_argument(
        "--output", "-o", metavar="FILE", type=Path, help="write here (mode 0600), not stdout"
    )
    export.add_argument("--force", action="store_true", help="replace FILE if it exists")
    add_config_argument(export)
    export.set_defaults(func=run_export)
    forget = actions.add_parser(
        "forget",
        help="delete stored history",
        description="Delete stored history before a date (local midnight), or all of it.",
    )
    which = forget.add_mutually_exclusive_group(required=True)
    which.add_argument("--before", metavar="YYYY-MM-DD", help="delete what is older than this day")
    which.add_argument("--all", action="store_true", help="delete everything")
    forget.add_argument("--yes", "-y", action="store_true", help="do not ask")
    add_config_argument(forget)
    forget.set_defaults(func=run_forget)


def _db_path(args: argparse.Namespace) -> Path:
    from ergod.config.compose import load_for_command

    env, loaded = load_for_command(args.config)
    return loaded.config.store.db_path(env)


def run_export(args: argparse.Namespace) -> int:
    from ergod.store import TABLES, MissingStoreError, open_reader

    path = _db_path(args)
    try:
        reader = open_reader(path)
    except MissingStoreError:
        sys.stderr.write(f"ergod: nothing recorded yet ({path} does not exist)\n")
        return 0
    with reader:
        if args.output is None:
            _export(reader, args, sys.stdout, TABLES)
            return 0
        from ergod.files import atomic_output

        try:
            with atomic_output(args.output, replace=args.force, newline="") as out:
                _export(reader, args, out, TABLES)
        except FileExistsError:
            raise UsageError(f"{args.output} exists: add --force to replace it") from None
        except OSError as exc:
            raise ErgodError(f"cannot write {args.output}: {exc.strerror or exc}") from exc
    return 0


def _export(
    reader: StoreReader, args: argparse.Namespace, out: IO[str], tables: tuple[str, ...]
) -> None:
    if args.format == "csv":
        import csv

        table = args.table or "breaks"
        writer: Any = None
        for row in reader.export_rows(table):
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(row), lineterminator="\n")
                writer.writeheader()
            writer.writerow(row)
        if writer is None:
            # An empty table still gets its header, so a spreadsheet sees the columns.
            out.write(",".join(reader.export_columns(table)) + "\n")
        return
    import json

    for table in (args.table,) if args.table else tables:
        for row in reader.export_rows(table):
            out.write(json.dumps({"table": table, **row}) + "\n")


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--before wants a date like 2026-01-31, not {text!r}") from None


def run_forget(args: argparse.Namespace) -> int:
    import sqlite3
    import time

    from ergod.store import open_store
    from ergod.store.schema import compact, count_before, delete_before, mark_forgotten

    day = None if args.all else parse_day(args.before)
    if day is None:
        # Everything on file, and whatever a running daemon still holds from before now.
        cut, forget_until = float("inf"), time.time()
    else:
        # Local midnight, in the zone this machine is in today.
        cut = forget_until = datetime(day.year, day.month, day.day).astimezone().timestamp()
    path = _db_path(args)
    if not path.exists():
        print(_("nothing to forget: {path} does not exist").format(path=path))
        return 0
    try:
        conn = open_store(path)
    except (OSError, sqlite3.Error) as exc:
        raise ErgodError(f"cannot open {path}: {exc}") from exc
    try:
        count = count_before(conn, cut)
        if count and not args.yes and not _confirm(_question(count, day, path)):
            print(_("nothing deleted"))
            return 1
        try:
            conn.execute("BEGIN IMMEDIATE")
            deleted = delete_before(conn, cut)
            mark_forgotten(conn, forget_until)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise ErgodError(f"could not delete from {path}: {exc}") from exc
        # Compact and empty the log, so the rows are gone from the disk, not only hidden.
        why = compact(conn)
    finally:
        conn.close()
    if deleted:
        done = ngettext(
            "deleted {count} record from {path}", "deleted {count} records from {path}", deleted
        ).format(count=deleted, path=path)
    else:
        done = _("nothing to delete in {path}").format(path=path)
    if why is not None:
        raise ErgodError(
            _(
                "{done}, but their old copies are still in the file: {why}. "
                "Close it and run the same command again to remove them"
            ).format(done=done, why=why)
        )
    print(done if deleted else _("nothing to forget: no records in {path} match").format(path=path))
    return 0


def _question(count: int, day: date | None, path: Path) -> str:
    if day is None:
        return ngettext(
            "Delete the {count} stored record in {path}?",
            "Delete all {count} stored records in {path}?",
            count,
        ).format(count=count, path=path)
    return ngettext(
        "Delete {count} record from before {day} in {path}?",
        "Delete {count} records from before {day} in {path}?",
        count,
    ).format(count=count, day=day.isoformat(), path=path)


def _confirm(question: str) -> bool:
    """Ask on the terminal; yes is "y" or "yes", or the reader's language's words."""
    if not sys.stdin.isatty():
        raise UsageError("not on a terminal: add --yes to delete without being asked")
    # Translators: the answers the question takes: yes is the first letter of your "yes".
    answers = _("[y/N]")
    sys.stderr.write(f"{question} {answers} ")
    sys.stderr.flush()
    # Translators: the short and long "yes" a person types to answer "[y/N]".
    yes = {"y", "yes", _("y").lower(), _("yes").lower()}
    return sys.stdin.readline().strip().lower() in yes
