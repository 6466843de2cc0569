"""`ergod exercises` and `ergod hurts`: the exercise library, its safety advice, and
switching off an exercise that hurts.

    ergod exercises [--kind stretch|movement] [--json] [--config FILE]
    ergod exercises show ID [--json] [--config FILE]
    ergod exercises --safety
    ergod hurts [ID]

The list marks the exercises switched off by `[exercises] disabled` and ends
with the not-medical-advice line and the red flags. `--json` adds, per kind,
the cards breaks offer (`cards`, sets included) with the kind's `durations`:
every card lasts at least its kind's duration where the library allows it.
`show` prints one card, sets (`march_heels+wall_pushup`) included; an unknown
id exits 2 with a suggestion. `--safety` prints the red flags in two tiers.
`hurts` stops offering an exercise (the last one shown, or ID) through `config
set`, then prints the two tiers.
Stdlib only at top level: the library and config load inside the commands.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ergod.core.rules import Kind
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
    parser.add_argument(
        "--safety",
        action="store_true",
        help="when to get urgent care, and when to see a doctor or physiotherapist",
    )
    _add_common(parser, suppress=False)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="print one exercise card", description="Print one card.")
    show.add_argument("id", metavar="ID", help='an exercise id, or a set like "a+b"')
    # SUPPRESS keeps options given before `show` from being reset by its defaults.
    _add_common(show, suppress=True)
    parser.set_defaults(func=run)

    hurts = sub.add_parser(
        "hurts",
        help="an exercise hurt: stop offering it, and see when to get help",
        description=(
            "Stop offering an exercise (the one shown last, or ID) by adding it to "
            "[exercises] disabled in your config file, then print when to get urgent "
            "care and when to see a clinician."
        ),
    )
    hurts.add_argument(
        "id", metavar="ID", nargs="?", help="an exercise id (default: the last shown)"
    )
    hurts.set_defaults(func=run_hurts)


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
    if args.safety:
        from ergod.exercises.safety import safety_text

        print(safety_text())
        return 0
    library, durations = _load(list(args.config))
    if args.action == "show":
        return _show(library, args.id, args.json)
    return _list(library, durations, args.kind, args.json)


def run_hurts(args: argparse.Namespace) -> int:
    from ergod.config.exercise_off import switch_off
    from ergod.environment import Environment
    from ergod.exercises.safety import safety_text

    outcome = switch_off(Environment.from_os(), args.id)
    print(outcome.summary)
    print()
    print(safety_text())
    return 0 if outcome.switched_off or outcome.already_off else 2


def _load(extra_files: list[Path]) -> tuple[Library, dict[Kind, float]]:
    """The library and each kind's duration under the configuration layers."""
    from ergod.config.compose import durations, load_for_command
    from ergod.exercises.library import load_library

    # Loading has already let the library judge the exercise settings, with
    # file and line; a problem there is a ConfigError (exit 2) before we get here.
    _env, loaded = load_for_command(extra_files)
    settings = loaded.config.exercises
    return load_library(settings.custom, settings.disabled), durations(loaded.config)


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


def _list(
    library: Library, durations: dict[Kind, float], kind_name: str | None, as_json: bool
) -> int:
    from ergod.core.rules import Kind
    from ergod.exercises.library import DISCLAIMER, RED_FLAGS, cards, rotation, to_json

    kinds = [Kind(kind_name)] if kind_name else list(Kind)
    shown = [e for e in library.exercises if any(k in e.kinds for k in kinds)]
    if as_json:
        _print_json(
            {
                "exercises": [to_json(e, library.is_enabled(e.id)) for e in shown],
                "rotation": {k.value: list(rotation(library, k, durations[k])) for k in kinds},
                "durations": {k.value: durations[k] for k in kinds},
                "cards": {
                    k.value: [_card_json(c) for c in cards(library, k, durations[k])] for k in kinds
                },
                "disclaimer": DISCLAIMER,
                "red_flags": RED_FLAGS,
            }
        )
        return 0
    from ergod.i18n import _

    print(_table(library, shown))
    print()
    if Kind.MOVEMENT in kinds:
        standing = _(
            "Movement breaks are done standing or walking: a short movement item is "
            "followed by standing items until the set lasts the whole break."
        )
        print(_wrap(standing))
    show = _("`{command}` prints the steps of one.").format(command="ergod exercises show ID")
    print(_wrap(show))
    print()
    print(_wrap(f"{_(DISCLAIMER)} {_(RED_FLAGS)}"))
    return 0


def _card_json(card: Exercise) -> dict[str, object]:
    return {
        "id": card.id,
        "seconds": card.seconds,
        "parts": [part.id for part in card.parts] or [card.id],
    }


def _table(library: Library, shown: list[Exercise]) -> str:
    from ergod.durations import human_duration
    from ergod.exercises.library import kind_name, localized
    from ergod.i18n import _

    # Translators: the column headings of `ergod exercises`, upper case where the language allows.
    rows = [("ID", _("NAME"), _("FOCUS"), _("TIME"), _("KINDS"), "")]
    for e in map(localized, shown):
        kinds = ",".join(kind_name(k) for k in sorted(e.kinds, key=lambda k: k.value))
        state = "" if library.is_enabled(e.id) else _("disabled")
        rows.append((e.id, e.name, e.focus, human_duration(e.seconds), kinds, state))
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
