"""`ergod exercises`: list the exercise library, or show one card.

    ergod exercises [--kind stretch|movement] [--json] [--config FILE]
    ergod exercises show ID [--json] [--config FILE]

The list marks the exercises switched off by `[exercises] disabled` and ends
with the not-medical-advice line and when to see a clinician. `show` prints
one card, pairings (`march_heels+scap_squeeze`) included; an unknown id exits 2
with a suggestion. `--json` prints one JSON object instead of text.
Stdlib only at top level: the library and config load inside `run`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ergod.exercises.library import Exercise, Library

_WRAP = 78


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "exercises",
        help="list the exercises reminders offer, or show one",
        description="List the exercise library, or show one exercise with its steps.",
    )
    parser.add_argument(
        "--kind",
        choices=("stretch", "movement"),
        help="only the exercises offered by this kind of break",
    )
    _add_common(parser, suppress=False)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="print one exercise card", description="Print one card.")
    show.add_argument("id", metavar="ID", help='an exercise id, or a pairing like "a+b"')
    # SUPPRESS keeps options given before `show` from being reset by its defaults.
    _add_common(show, suppress=True)
    parser.set_defaults(func=run)


def _add_common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="print JSON instead of text",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        action="append",
        type=Path,
        default=argparse.SUPPRESS if suppress else [],
        help="an extra configuration file, above your own and below policy (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    library = _load(list(args.config))
    if args.action == "show":
        return _show(library, args.id, args.json)
    return _list(library, args.kind, args.json)


def _load(extra_files: list[Path]) -> Library:
    """The library under the configuration layers, `--config` files included."""
    from ergod.config.compose import load_for_command
    from ergod.exercises.library import load_library

    # Loading has already let the library judge the exercise settings, with
    # file and line; a problem there is a ConfigError (exit 2) before we get here.
    _env, loaded = load_for_command(extra_files)
    settings = loaded.config.exercises
    return load_library(settings.custom, settings.disabled)


def _show(library: Library, exercise_id: str, as_json: bool) -> int:
    from ergod.exercises.library import SAFETY, format_card, to_json

    exercise = library.get(exercise_id.strip(), translate=not as_json)
    enabled = library.is_enabled(exercise.id)
    if as_json:
        # JSON is for programs: the library's own (English) texts, stable across locales.
        _print_json({**to_json(exercise, enabled), "safety": SAFETY})
    else:
        print(format_card(exercise, enabled))
    return 0


def _list(library: Library, kind_name: str | None, as_json: bool) -> int:
    from ergod.core.rules import Kind
    from ergod.exercises.library import DISCLAIMER, RED_FLAGS, rotation, to_json

    kinds = [Kind(kind_name)] if kind_name else list(Kind)
    shown = [e for e in library.exercises if any(k in e.kinds for k in kinds)]
    if as_json:
        _print_json(
            {
                "exercises": [to_json(e, library.is_enabled(e.id)) for e in shown],
                "rotation": {k.value: list(rotation(library, k)) for k in kinds},
                "disclaimer": DISCLAIMER,
                "red_flags": RED_FLAGS,
            }
        )
        return 0
    from ergod.i18n import _

    print(_table(library, shown))
    print()
    if Kind.MOVEMENT in kinds:
        pairs = _("Movement breaks pair a short movement item with an upper-back or chest one.")
        print(_wrap(pairs))
    show = _("`{command}` prints the steps of one.").format(command="ergod exercises show ID")
    print(_wrap(show))
    print()
    print(_wrap(f"{_(DISCLAIMER)} {_(RED_FLAGS)}"))
    return 0


def _table(library: Library, shown: list[Exercise]) -> str:
    from ergod.exercises.library import format_time, kind_name, localized
    from ergod.i18n import _

    # Translators: the column headings of `ergod exercises`, upper case where the language allows.
    rows = [("ID", _("NAME"), _("FOCUS"), _("TIME"), _("KINDS"), "")]
    for e in map(localized, shown):
        kinds = ",".join(kind_name(k) for k in sorted(e.kinds, key=lambda k: k.value))
        state = "" if library.is_enabled(e.id) else _("disabled")
        rows.append((e.id, e.name, e.focus, format_time(e.seconds), kinds, state))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _wrap(text: str) -> str:
    import textwrap

    return textwrap.fill(text, width=_WRAP)


def _print_json(data: object) -> None:
    import json

    print(json.dumps(data, indent=2, ensure_ascii=False))
