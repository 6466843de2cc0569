"""Translations (issue 15): choosing the language, the catalogs, and every language's layout.

The language comes from `[notify] language` or the environment; the catalogs are
complete and compiled; every prompt fits the notification body in every
language; a pseudo-locale built from the template at test time (every string in
⟦ ⟧) shows no string that bypasses the catalog in the prompts, the exercise
cards and the weekly summary (text, HTML, notification).
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from config_support import World

from ergod import i18n
from ergod.config.compose import load
from ergod.core.model import Outcome
from ergod.core.rules import Kind
from ergod.exercises.library import (
    NOTIFICATION_BODY_MAX,
    SAFETY,
    TITLE_MAX,
    Exercise,
    cards,
    format_card,
    load_library,
)
from ergod.exercises.safety import POINTER, hurt_notice, safety_text
from ergod.notify.prompt import prompt_for, weekly_message
from ergod.store import BoutRow, BreakRow
from ergod.summary.model import IsoWeek, WeekSummary, summarize
from ergod.summary.render_html import render_html
from ergod.summary.render_text import render_weeks
from ergod.summary.suggest import notification

REPO = Path(__file__).resolve().parents[1]
ERGOD = Path(sys.executable).with_name("ergod")
LANGUAGES = ("de", "fr", "es")
OPEN, CLOSE = "\u27e6", "\u27e7"
BERLIN = ZoneInfo("Europe/Berlin")


def _catalogs_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("catalogs", REPO / "scripts" / "catalogs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


catalogs = _catalogs_script()


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.activate("en", {})


# ---- choosing the language ----------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "environ", "code"),
    [
        ("", {"LANGUAGE": "de"}, "de"),
        ("", {"LANGUAGE": "xx:fr_CA:de", "LANG": "es_ES.UTF-8"}, "fr_CA"),
        ("", {"LC_ALL": "es_ES.UTF-8", "LC_MESSAGES": "de_DE", "LANG": "fr_FR"}, "es_ES"),
        ("", {"LC_MESSAGES": "de_AT.UTF-8@euro", "LANG": "fr_FR"}, "de_AT"),
        ("", {"LANG": "fr_BE.UTF-8"}, "fr_BE"),
        ("", {"LANG": "C.UTF-8"}, "en"),
        ("", {"LANG": "ja_JP.UTF-8"}, "en"),  # no catalog: English, as gettext does
        ("", {}, "en"),
        ("es", {"LANGUAGE": "de", "LANG": "fr_FR"}, "es"),  # the setting wins
        ("en", {"LANGUAGE": "de"}, "en"),
    ],
)
def test_the_language_comes_from_the_setting_then_the_environment(
    setting: str, environ: dict[str, str], code: str
) -> None:
    assert i18n.choose(setting, environ).code == code


def test_activate_switches_every_string_and_the_formats() -> None:
    i18n.activate("", {"LANGUAGE": "de"})
    assert i18n._("Skip") == "Überspringen"
    assert i18n.decimal(1.5) == "1,5"
    assert i18n.percent(0.42) == "42\u00a0%"
    assert i18n.weekday_name(date(2026, 11, 27)) == "Freitag"
    assert i18n.current().tag == "de"
    i18n.activate("fr_FR", {})
    assert i18n.current().tag == "fr-FR"
    assert i18n.long_date(date(2026, 11, 27)) == "27 novembre 2026"
    assert i18n.ngettext("{count} day", "{count} days", 2) == "{count} days"  # not in catalog
    i18n.activate("", {"LANG": "C"})
    assert i18n._("Skip") == "Skip"
    assert i18n.decimal(1.5) == "1.5"


def test_notify_language_is_a_key_a_policy_can_lock(tmp_path: Path) -> None:
    world = World.make(tmp_path)
    world.write("config/ergod/config.toml", '[notify]\nlanguage = "de"\n')
    assert load(world.env).config.notify.language == "de"
    world.write("etc/policy.d/lang.toml", '[notify]\nlanguage = "fr"\n')
    loaded = load(world.env)
    assert loaded.config.notify.language == "fr"
    assert any("notify.language" in w for w in loaded.warnings)


def test_a_bad_language_is_a_config_error_with_file_and_line(tmp_path: Path) -> None:
    world = World.make(tmp_path)
    path = world.write("config/ergod/config.toml", '[notify]\nlanguage = "German!"\n')
    done = subprocess.run(
        [str(ERGOD), "config", "check"],
        env={**dict(world.env.environ), "LANGUAGE": "en"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert f"{path}:2" in done.stdout and "notify.language" in done.stdout
    assert "Traceback" not in done.stderr


def test_the_configured_language_wins_in_a_command(tmp_path: Path) -> None:
    world = World.make(tmp_path)
    world.write("config/ergod/config.toml", '[notify]\nlanguage = "es"\n')
    done = subprocess.run(
        [str(ERGOD), "exercises", "show", "chest_doorway"],
        env={**dict(world.env.environ), "LANGUAGE": "de"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    assert "Estiramiento en la puerta" in done.stdout


def test_ergod_exercises_show_in_german() -> None:
    done = subprocess.run(
        [str(ERGOD), "exercises", "show", "chest_doorway"],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANGUAGE": "de"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Türrahmen-Dehnung  [chest_doorway]"
    assert "Angeboten in Dehn- und Bewegungspausen." in done.stdout
    assert "  1. Unterarme an den Türrahmen, Ellbogen höchstens schulterhoch." in lines
    assert lines[-1].startswith("Sanft bewegen; Stopp bei")


def test_json_stays_in_the_library_s_own_words() -> None:
    done = subprocess.run(
        [str(ERGOD), "exercises", "show", "chest_doorway", "--json"],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANGUAGE": "de"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["name"] == "Doorway stretch"
    assert card["safety"].startswith("Move gently")


def test_a_prompt_in_german_does_not_load_babel() -> None:
    """The daemon's prompt path (catalog, card, prompt) needs gettext only: RSS matters."""
    from import_support import loaded_after

    code = (
        "from ergod import i18n\n"
        "i18n.activate('de', {})\n"
        "from ergod.exercises.library import load_library, render_card\n"
        "from ergod.notify.prompt import prompt_for, prompt_message\n"
        "card = load_library().get('march_heels+wall_pushup', translate=True)\n"
        "assert prompt_for('movement', card, 2000.0, 300.0, 30.0, True).title != ''\n"
        "title, body = render_card(card)\n"
        "message = prompt_message('movement', title, body, 2000.0, 300.0, 30.0, True)\n"
        "assert 'Sie sitzen' in message.body\n"
    )
    assert loaded_after(code, ["babel"]) == []


def cli_probe(commands: list[list[str]], language: str) -> subprocess.CompletedProcess[str]:
    """Run `ergod` commands in one fresh interpreter; its last line: their exit
    codes and whether Babel was loaded."""
    probe = (
        "import sys; from ergod.cli import main\n"
        f"codes = [main(argv) for argv in {commands!r}]\n"
        "print(codes, 'babel' in sys.modules)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", probe],
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANGUAGE": language},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_cli_does_not_load_babel_unless_it_formats() -> None:
    done = cli_probe([["exercises", "show", "chest_doorway"]], "fr")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[0] False"


# ---- the catalogs --------------------------------------------------------------------


def test_every_catalog_is_complete_current_and_compiled() -> None:
    assert catalogs.languages() == sorted(LANGUAGES)
    assert catalogs.problems() == []


def test_msgfmt_accepts_every_catalog() -> None:
    for language in LANGUAGES:
        done = subprocess.run(
            ["msgfmt", "--check", "-o", "/dev/null", str(catalogs.po_path(language))],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr


def test_the_template_holds_every_built_in_exercise_text() -> None:
    template = catalogs._read(catalogs.TEMPLATE)
    for text, _comment in catalogs.exercise_messages():
        assert text in template, text


# ---- layout in every language ----------------------------------------------------------


DURATIONS = {Kind.STRETCH: 20.0, Kind.MOVEMENT: 180.0}  # the shipped defaults


def _library_cards() -> list[str]:
    """Every single card and every set the shipped rotations offer."""
    library = load_library((), ())
    ids = {e.id for e in library.exercises}
    for kind in Kind:
        ids |= {c.id for c in cards(library, kind, DURATIONS[kind])}
    return sorted(ids)


def _cut(card: Exercise) -> bool:
    """Whether a prompt of a kind that offers the card leaves steps out (a movement
    prompt after 45 min of sitting)."""
    for kind in card.kinds:
        sitting = 45 * 60.0 if kind is Kind.MOVEMENT else None
        body = prompt_for(kind.value, card, sitting, 600.0, 30.0, True).body
        if "ergod exercises show" in body or "\u2026" in body:
            return True
    return False


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_prompt_fits_the_notification_in_every_language(language: str) -> None:
    library = load_library((), ())
    english = {i for i in _library_cards() if "+" not in i and _cut(library.get(i))}
    i18n.activate(language, {})
    for card_id in _library_cards():
        card = library.get(card_id, translate=True)
        for kind in ("movement", "stretch"):
            for first in (False, True):
                message = prompt_for(
                    kind, card, 10 * 3600 + 59 * 60, 600.0, 30.0, True, first=first
                )
                lines = message.body.split("\n")
                assert len(message.body) <= NOTIFICATION_BODY_MAX, (language, card_id)
                assert len(message.title) <= TITLE_MAX, (language, message.title)
                assert all(len(a.label) <= 24 for a in message.actions), message.actions
                # The safety line (and the pointer) are never cut.
                tail = [i18n._(SAFETY), i18n._(POINTER)] if first else [i18n._(SAFETY)]
                assert lines[-len(tail) :] == tail, (language, card_id, lines)
        # A single card shows all its steps whenever it does in English, and its
        # caveat is never shortened.
        if "+" not in card_id and card_id not in english:
            assert not _cut(card), (language, card_id)
        if "+" not in card_id:
            body = prompt_for("stretch", card, None, 600.0, 30.0, True, first=True).body
            assert "\u2026" not in body, (language, card_id, body)
    title, body = (
        weekly_message("t" * 80, "b" * 400, 30.0).title,
        weekly_message("t", "b" * 400, 30.0).body,
    )
    assert len(title) <= TITLE_MAX and len(body) <= NOTIFICATION_BODY_MAX
    notice_title, notice = hurt_notice([e.name for e in library.exercises[:3]])
    assert len(notice) <= NOTIFICATION_BODY_MAX and len(notice_title) <= TITLE_MAX


# ---- the pseudo-locale: nothing bypasses the catalog ---------------------------------------


def untranslated(text: str, allowed: frozenset[str]) -> list[str]:
    """Words outside ⟦ ⟧ markers that are not in `allowed`. A text cut short with
    "…" (the weekly notice's headline) counts as inside its open markers."""
    before = None
    while before != text:
        before = text
        text = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*({CLOSE}|\u2026)", " ", text)
    return [w for w in re.findall(r"[^\W\d_]{2,}", text) if w not in allowed]


class _Visible(HTMLParser):
    """The text a reader of the page meets: element text (not CSS) and labels."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self._skip += 1
        for name, value in attrs:
            if name in ("aria-label", "alt", "title") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


@pytest.fixture
def pseudo(tmp_path: Path) -> Iterator[frozenset[str]]:
    """The pseudo-locale active; yields the words allowed outside markers.

    Allowed: exercise ids (technical names the user types), "ergod", "ID" and
    "ISO", and English day and month names: Babel's locale data for a locale it
    does not know, which real languages get from CLDR, not from our catalog.
    """
    catalogs.pseudo(tmp_path)
    i18n.activate("", {"LANGUAGE": catalogs.PSEUDO, "ERGOD_LOCALEDIR": str(tmp_path)})
    assert i18n._("Skip") == f"{OPEN}Skip{CLOSE}"
    yield allowed_words()


def allowed_words() -> frozenset[str]:
    """The words that may stand outside the pseudo-locale's markers (see `pseudo`)."""
    from babel import Locale

    english = Locale.parse("en")
    names: set[str] = set()
    for table in (english.days, english.months):
        for context in table.values():
            for width in context.values():
                names |= {w for v in width.values() for w in re.findall(r"[^\W\d_]+", v)}
    ids = {part for e in load_library((), ()).exercises for part in (e.id, *e.id.split("_"))}
    return frozenset(names | ids | {"ergod", "ID", "ISO"})


def test_pseudo_locale_prompts_and_cards(pseudo: frozenset[str]) -> None:
    library = load_library((), ())
    for card_id in _library_cards():
        card = library.get(card_id, translate=True)
        message = prompt_for("movement", card, 65 * 60, 300.0, 30.0, True, first=True)
        shown = "\n".join([message.title, message.body, *(a.label for a in message.actions)])
        assert untranslated(shown, pseudo) == [], shown
        assert untranslated(format_card(card, enabled=False), pseudo) == [], card_id
    notice = hurt_notice([library.get("wall_slide", translate=True).name])
    assert untranslated("\n".join(notice), pseudo) == []
    assert untranslated(safety_text(), pseudo) == []


def test_pseudo_locale_weekly_summary(pseudo: frozenset[str]) -> None:
    weeks = _two_weeks()
    text = render_weeks(weeks)
    assert untranslated(text, pseudo) == [], text
    html = render_html(weeks)
    assert f'<html lang="{catalogs.PSEUDO}">' in html
    assert untranslated(visible_text(html), pseudo) == []
    title, body = notification(weeks[-1])
    weekly = weekly_message(title, body, 30.0)
    assert untranslated(f"{weekly.title}\n{weekly.body}", pseudo) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_weekly_summary_in_every_language(language: str) -> None:
    i18n.activate(language, {})
    weeks = _two_weeks()
    html = render_html(weeks)
    assert f'<html lang="{language}">' in html
    assert i18n._("Suggestion for next week:") in visible_text(html)
    text = render_weeks(weeks)
    assert max(len(line) for line in text.splitlines()) <= 80
    title, body = notification(weeks[-1])
    assert title.startswith(i18n._("Your week {week}").split("{")[0])
    assert "movement" not in body and "bouts" not in body  # no English left


def _two_weeks() -> list[WeekSummary]:
    """W46 and W47 of 2026 with long and short bouts, both kinds of break and
    every outcome, so every line of the reports is drawn."""
    monday = datetime(2026, 11, 9, tzinfo=BERLIN)  # W46
    bouts, breaks = [], []
    outcomes = [Outcome.TAKEN, Outcome.SKIPPED, Outcome.IGNORED, Outcome.TAKEN, Outcome.MERGED]
    for day in range(12):
        if day % 7 in (5, 6):
            continue
        for hour, minutes in ((9, 50 + 5 * day), (11, 20), (14, 65 - day)):
            start = monday + timedelta(days=day, hours=hour)
            bouts.append(BoutRow(0, start, start + timedelta(minutes=minutes), minutes * 60.0))
        for n, kind in enumerate((Kind.MOVEMENT, Kind.STRETCH, Kind.MOVEMENT)):
            due = monday + timedelta(days=day, hours=10 + 2 * n)
            outcome = outcomes[(day + n) % len(outcomes)]
            breaks.append(BreakRow(0, kind, due, due, 1, n % 2, outcome, due, 40.0 + day, None))
    return [summarize(IsoWeek(2026, w), bouts, breaks, BERLIN) for w in (46, 47)]


@pytest.mark.parametrize("language", ("en", *LANGUAGES))
def test_the_daily_limit_notice_fits_in_every_language(language: str) -> None:
    from ergod.daemon.daily import daily_notice

    i18n.activate(language, {})
    try:
        for active in (4 * 3600.0, 11 * 3600.0 + 59 * 60):
            notice = daily_notice(active, 30.0)
            assert len(notice.body) <= NOTIFICATION_BODY_MAX and len(notice.title) <= TITLE_MAX
            assert "sitting.daily_limit" in notice.body  # the key is named as it is
            assert (notice.title == "Daily limit reached") == (language == "en")
    finally:
        i18n.activate("en", {})


def test_pseudo_locale_daily_limit_notice(pseudo: frozenset[str]) -> None:
    from ergod.daemon.daily import daily_notice

    notice = daily_notice(4 * 3600.0 + 300.0, 30.0)
    shown = f"{notice.title}\n{notice.body}"
    assert untranslated(shown, pseudo | {"sitting", "daily_limit"}) == [], shown
