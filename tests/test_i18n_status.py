"""Translations of what the running daemon shows (issue 15): `ergod status`, the
control answers, the bar lines and the tray, rendered in-process by the code the
CLI and the daemon use.

* Under the pseudo-locale (every string in ⟦ ⟧, built from the template at test
  time) no word of the status text, the bar lines (text, Waybar, i3blocks), the
  tooltip, the tray menu or the daemon's answers stands outside the markers,
  except what is shown as the daemon sends it (names, paths, program names).
* In German they read as German; Waybar's keys and `class` stay the same.
* The daemon answers in the language a request names, and only that answer:
  the daemon's own language (the tray's) is unchanged afterwards.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import test_control
from test_daemon_parts import World
from test_daemon_parts import utc as utc  # the fixture
from test_daemon_parts import world as world  # the fixture
from test_i18n import LANGUAGES, catalogs, cli_probe, untranslated
from test_i18n import pseudo as pseudo  # the fixture
from test_tray import glance as make_glance

from ergod import i18n
from ergod.cli.data import _question
from ergod.cli.status_text import render_status
from ergod.daemon.barview import FORMATS, Glance, State, i3blocks, tooltip, waybar
from ergod.daemon.protocol import Command, ControlError, Request
from ergod.tray import menu

NOW = datetime(2026, 11, 23, 10, 0)  # a Monday
STATUS: dict[str, Any] = {
    **test_control.STATUS,
    "uptime_seconds": 7300.0,
    "paused_until": "2026-11-24T09:00:00",
    "quiet": ["paused", "outside the schedule", "zoom is running", "a window is fullscreen"],
    "attended": [
        "do not disturb is on",
        "in a call: microphone in use by zoom; camera in use by cheese",
        "keeping the screen awake: firefox, mpv",
    ],
    "open_break": {"kind": "movement", "since_seconds": 130.0, "prompts": 2, "snoozes": 1},
    "config_files": ["/etc/ergod/config.toml"],
    "system_dir": "/etc/ergod",
}
AS_SENT = frozenset(
    {"ergod", "etc", "config", "toml", "freedesktop", "idle", "first", "zoom", "ok"}
    | {"cheese", "firefox", "mpv"}
)
"""Words `ergod status` shows as the daemon sends them: names, paths, values."""
EXERCISES = [("eye_far_focus", "Far look"), ("neck_chin_glide", "Chin glide")]


GLANCES: list[Glance | None] = [
    None,
    make_glance(sitting_minutes=75),
    make_glance(sitting_minutes=None, next_kind=None, next_minutes=None),
    make_glance(State.DUE, next_kind="movement", next_minutes=2),
    make_glance(State.DUE, next_minutes=0),
    make_glance(State.OPEN, open_kind="movement", next_kind=None, next_minutes=None),
    make_glance(State.PAUSED, paused_until="Tue 09:00"),
    make_glance(State.PAUSED),
    make_glance(State.QUIET, quiet=("outside the schedule", "zoom is running")),
    make_glance(State.QUIET, quiet=("in a call: microphone and camera in use by zoom",)),
    make_glance(State.SCHEDULE_ONLY, mode="schedule-only"),
]


def _bar_texts(glance: Glance | None) -> list[str]:
    """Every human text a bar or the tray shows for `glance`."""
    bar = json.loads(waybar(glance))
    block = json.loads(i3blocks(glance))
    names = [(ident, i18n._(name)) for ident, name in EXERCISES]  # as the panel gives them
    labels = [item.label for item in menu.walk(menu.build(glance, names)) if item.label]
    return [FORMATS["text"](glance), bar["text"], bar["tooltip"], block["full_text"], *labels]


@pytest.fixture(autouse=True)
def english_after() -> Iterator[None]:
    yield
    i18n.activate("en", {})


def test_pseudo_locale_status_text(pseudo: frozenset[str]) -> None:
    lines = render_status(STATUS, NOW)
    assert len(lines) == 11
    assert untranslated("\n".join(lines), pseudo | AS_SENT) == [], lines
    assert render_status({}, NOW) == [f"{catalogs.OPEN}ergod running{catalogs.CLOSE}"]


def test_pseudo_locale_bar_lines_tooltip_and_tray(pseudo: frozenset[str]) -> None:
    for glance in GLANCES:
        for text in _bar_texts(glance):
            assert untranslated(text, pseudo | {"zoom"}) == [], (glance, text)
        block = json.loads(i3blocks(glance))
        assert untranslated(block.get("short_text", ""), pseudo) == []
        bar = json.loads(waybar(glance))
        assert bar["class"] == bar["alt"] == ("off" if glance is None else glance.state.value)


def test_pseudo_locale_forget_question(pseudo: frozenset[str]) -> None:
    from datetime import date
    from pathlib import Path

    for count in (1, 10):
        for day in (None, date(2026, 3, 1)):
            asked = _question(count, day, Path("/tmp/ergod.db"))
            assert untranslated(asked, pseudo | {"tmp", "db"}) == [], asked


def test_status_and_bars_in_german() -> None:
    i18n.activate("de", {})
    lines = render_status(STATUS, NOW)
    assert lines[0] == "ergod 0.1.0 läuft (PID 1234) \u2014 Aktivität: x11 (idle-first); " + (
        "Benachrichtigungen: freedesktop"
    )
    assert "sitzt seit 34 min (untätig seit 5 s)" in lines
    assert "offen: Bewegungspause seit 2 min, 2 Erinnerungen, 1-mal verschoben" in lines
    assert "als Nächstes: Dehnen in 6 min" in lines
    assert (
        "Ruhe: pausiert bis Di. 09:00, außerhalb der Arbeitszeit, zoom läuft, "
        "ein Fenster ist im Vollbild"
    ) in lines
    assert "heute: aktiv 1 h 27 min vom Tageslimit 4 h" in lines
    assert "läuft seit 2 h 2 min, Speicher 28,4 MiB, CPU 3,2 s" in lines
    assert lines[-1] == "Datenbank: ok"
    paused = json.loads(waybar(GLANCES[6]))
    assert (paused["text"], paused["class"]) == ("pausiert bis Di. 09:00", "paused")
    assert json.loads(waybar(None))["text"] == "ergod aus"
    assert FORMATS["text"](GLANCES[1]) == "sitzt 1 h 15 min \u00b7 Dehnen in 6 min"
    assert json.loads(i3blocks(GLANCES[5]))["full_text"] == "Bewegungspause"
    assert tooltip(GLANCES[1]) == "Sie sitzen seit 1 h 15 min\nAls Nächstes: Dehnpause in 6 min"
    labels = [item.label for item in menu.walk(menu.build(GLANCES[6], EXERCISES)) if item.label]
    assert labels[:4] == ["_Pause 30 min", "Pause _1 h", "Pause bis _morgen", "_Fortsetzen"]
    assert "Ü_bungen" in labels and "Ü_berspringen" in labels


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_keeps_one_access_key_per_menu_label(language: str) -> None:
    i18n.activate(language, {})
    for item in menu.walk(menu.build(GLANCES[5], EXERCISES)):
        if item.label and item.choice is not None and item.choice.action != menu.EXERCISE:
            assert len(re.findall(r"(?<!_)_(?!_)", item.label)) == 1, item.label


def test_the_daemon_answers_in_the_language_asked(world: World) -> None:
    api = world.api
    with pytest.raises(ControlError) as refused:
        api.answer(Request(Command.SNOOZE, language="de"))
    assert refused.value.message == "nichts zu verschieben: keine Pause ist offen"
    with pytest.raises(ControlError) as refused:
        api.answer(Request(Command.SKIP, language="fr"))
    assert refused.value.message == "rien à passer\u00a0: aucune pause n\u2019est en cours"
    world.user_types_until(world.clock() + 61)
    assert world.notifier.titles() == ["Stretch break"]  # the daemon speaks English
    said = api.answer(Request(Command.SNOOZE, 45.0, language="de_AT"))
    assert said == {"message": "Dehnpause um 45 s verschoben"}
    world.user_types_until(world.clock() + 50)
    assert api.answer(Request(Command.SKIP, language="es")) == {
        "message": "pausa de estiramiento omitida"
    }
    assert api.answer(Request(Command.PAUSE, 1800.0, language="de")) == {
        "message": "pausiert für 30 min"
    }
    assert api.answer(Request(Command.RESUME, language="fr")) == {"message": "reprise"}
    assert api.answer(Request(Command.RESUME, language="de")) == {"message": "war nicht pausiert"}
    assert api.answer(Request(Command.RELOAD, language="es")) == {
        "message": "configuración recargada"
    }
    # No language, or one with no catalog: the daemon's own.
    assert api.answer(Request(Command.PAUSE)) == {"message": "paused until you run `ergod resume`"}
    assert api.answer(Request(Command.RESUME, language="ja_JP")) == {"message": "resumed"}
    # Only the answer changed language: the daemon (its tray, its prompts) did not.
    assert i18n.current().code == "en"
    assert tooltip(None) == "ergod is not running"


def test_ergod_status_in_german_does_not_load_babel() -> None:
    done = cli_probe([["status"], ["status", "--format", "waybar"]], "de")
    assert done.stdout.splitlines()[-1] == "[3, 0] False", done.stderr
    assert done.stderr.startswith("ergod: ergod läuft nicht (kein Steuer-Socket unter ")
    assert '"text": "ergod aus"' in done.stdout


REASONS_IN_GERMAN = {
    "outside the schedule": "außerhalb der Arbeitszeit",
    "zoom is running": "zoom läuft",
    "in a call: microphone in use by zoom; camera in use by cheese": (
        "im Anruf: Mikrofon wird von zoom verwendet; Kamera wird von cheese verwendet"
    ),
    "in a call: microphone and camera in use by zoom": (
        "im Anruf: Mikrofon und Kamera werden von zoom verwendet"
    ),
    "keeping the screen awake: firefox, mpv": "Bildschirm wach gehalten von firefox, mpv",
}


def test_every_reason_a_probe_gives_reads_in_german() -> None:
    # The probes word reasons in English (a reason is a key too); the reader
    # sees them in the language, the names as they are.
    from ergod.core.quiet import OUTSIDE_SCHEDULE
    from ergod.reasons import OUTSIDE_SCHEDULE as WORDED
    from ergod.reasons import in_call, translated

    assert OUTSIDE_SCHEDULE == WORDED
    assert in_call(["zoom"], ["cheese"]) in REASONS_IN_GERMAN
    i18n.activate("de", {})
    for reason, german in REASONS_IN_GERMAN.items():
        assert translated(reason) == german
    # What it does not know, or only half knows, is shown as it came.
    for unknown in ("a newer reason", "in a call: a hologram", "two words is running"):
        assert translated(unknown) == unknown
