#!/usr/bin/env python3
"""ergod's message catalogs, with Babel: extract, update, compile, check, pseudo.

    scripts/catalogs.py extract   # ergod/locale/ergod.pot from the code and exercises.toml
    scripts/catalogs.py init LANG # start ergod/locale/LANG/LC_MESSAGES/ergod.po from the template
    scripts/catalogs.py update    # merge the template into every ergod.po (new, changed, gone)
    scripts/catalogs.py compile   # every ergod.po -> ergod.mo beside it (committed)
    scripts/catalogs.py check     # template current, every catalog complete, every .mo current
    scripts/catalogs.py pseudo DIR  # a pseudo-locale "qps" under DIR: every string in ⟦ ⟧

Run it with the repo's venv (`.venv/bin/python scripts/catalogs.py ...`).
The strings are every `_()`, `N_()` and `ngettext()` in ergod/, plus the
names, focus areas, steps and caveats of ergod/data/exercises.toml.
docs/translating.md is the translator's guide.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

REPO = Path(__file__).resolve().parents[1]
LOCALE = REPO / "ergod" / "locale"
TEMPLATE = LOCALE / "ergod.pot"
EXERCISES = REPO / "ergod" / "data" / "exercises.toml"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
PSEUDO = "qps"
OPEN, CLOSE = "\u27e6", "\u27e7"


def exercise_messages() -> Iterator[tuple[str, str]]:
    """(text, translator's comment) for every translatable field of the built-ins."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib

    for card in tomllib.loads(EXERCISES.read_text(encoding="utf-8"))["exercise"]:
        ident = card["id"]
        yield card["name"], f"exercise {ident}: its name"
        for area in card["focus"].split(","):
            yield area.strip(), "a focus area (body part), as in 'For the neck.'"
        for number, step in enumerate(card["steps"], 1):
            yield step, f"exercise {ident}: step {number}"
        if card.get("caveat"):
            yield card["caveat"], f"exercise {ident}: who should take care"


def template() -> Catalog:
    """The catalog of every string to translate, in code order, no line numbers."""
    catalog = Catalog(project="ergod", msgid_bugs_address="", fuzzy=False)
    found = extract_from_dir(
        str(REPO / "ergod"),
        method_map=[("**.py", "python")],
        keywords=KEYWORDS,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(
            message,
            locations=[(f"ergod/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    for text, comment in exercise_messages():
        if text not in catalog:
            catalog.add(text, locations=[("ergod/data/exercises.toml", 0)], auto_comments=[comment])
    return catalog


def _write(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, include_lineno=False, sort_output=False)
    path.write_bytes(buffer.getvalue())


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/ergod.po"))


def po_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "ergod.po"


def keys(catalog: Catalog) -> list[object]:
    return [m.id for m in catalog if m.id]


def update() -> None:
    fresh = template()
    for language in languages():
        catalog = _read(po_path(language), language)
        catalog.update(fresh, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        _write(po_path(language), catalog)


def init(language: str) -> None:
    fresh = _read(TEMPLATE)
    catalog = Catalog(locale=language, project="ergod", fuzzy=False)
    for message in fresh:
        if message.id:
            catalog.add(
                message.id,
                locations=message.locations,
                auto_comments=message.auto_comments,
                flags=message.flags,
            )
    po_path(language).parent.mkdir(parents=True, exist_ok=True)
    _write(po_path(language), catalog)


def compile_all() -> None:
    for language in languages():
        catalog = _read(po_path(language), language)
        with po_path(language).with_suffix(".mo").open("wb") as out:
            write_mo(out, catalog)


def problems() -> list[str]:
    """What is wrong: a stale template, a missing or fuzzy translation, a stale .mo."""
    found: list[str] = []
    if keys(template()) != keys(_read(TEMPLATE)):
        found.append("ergod.pot is not current: run `scripts/catalogs.py extract`")
    wanted = set(keys(_read(TEMPLATE)))
    for language in languages():
        catalog = _read(po_path(language), language)
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.fuzzy or not all(strings):
                found.append(f"{language}: not translated: {message.id!r}")
        if set(keys(catalog)) != wanted:
            found.append(f"{language}: not merged with ergod.pot: run `scripts/catalogs.py update`")
        mo = po_path(language).with_suffix(".mo")
        if not mo.is_file():
            found.append(f"{language}: no ergod.mo: run `scripts/catalogs.py compile`")
            continue
        with mo.open("rb") as handle:
            compiled = read_mo(handle)
        if _strings(compiled) != _strings(catalog):
            found.append(f"{language}: ergod.mo is stale: run `scripts/catalogs.py compile`")
    return found


def _strings(catalog: Catalog) -> dict[object, object]:
    """id -> translation, plurals as tuples (read_mo gives lists), fuzzy ones left out."""

    def plain(value: object) -> object:
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {plain(m.id): plain(m.string) for m in catalog if m.id and not m.fuzzy}


def pseudo(directory: Path) -> Path:
    """A compiled catalog for the pseudo-locale: every string wrapped in ⟦ ⟧."""
    catalog = Catalog(locale="en", project="ergod")
    for message in _read(TEMPLATE):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            string: object = tuple(f"{OPEN}{text}{CLOSE}" for text in message.id)
        else:
            string = f"{OPEN}{message.id}{CLOSE}"
        catalog.add(message.id, string)
    path = directory / PSEUDO / "LC_MESSAGES" / "ergod.mo"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_mo(out, catalog)
    return path


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        _write(TEMPLATE, template())
    elif command == "init" and len(argv) == 2:
        init(argv[1])
    elif command == "update":
        update()
    elif command == "compile":
        compile_all()
    elif command == "pseudo" and len(argv) == 2:
        print(pseudo(Path(argv[1])))
    elif command == "check":
        found = problems()
        for line in found:
            print(f"catalogs: {line}", file=sys.stderr)
        return 1 if found else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
