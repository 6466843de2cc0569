"""Translations end to end (issue 15): what a German, French or Spanish desk worker sees.

* The installed `ergod run` under LANGUAGE=de puts a German prompt on a real
  dunst (the e2e session's X server, D-Bus and configuration).
* `LANGUAGE=fr ergod summary` over a store `ergod demo` filled speaks French.
* The HTML report renders in each language in headless Chromium: `lang` set,
  no console error, nothing wider than a phone.
* Under the pseudo-locale (built from the template at test time, every string in
  ⟦ ⟧), the installed command's outputs (`ergod exercises`, every card through
  `ergod exercises show`, `ergod summary` in text and HTML) hold no string that
  bypassed the catalog.
* Against a running daemon under the pseudo-locale, `ergod status` (text and
  every bar format) and the answers of pause, resume, snooze, skip and reload
  hold none either; a German `ergod` command gets German answers from that
  same daemon (the answer is in the reader's language). `ergod demo` and
  `ergod data forget` speak the pseudo-locale and German too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from daemon_support import ERGOD, Person, status, wait_for
from servers import NotificationServer, stop_process
from test_e2e_daemon import CONFIG, mouse_move
from test_e2e_daemon import ergod_env as ergod_env  # the fixture
from test_i18n import LANGUAGES, allowed_words, catalogs, untranslated, visible_text
from test_soak import ergod, soak_env
from test_summary_html import chromium, in_a_phone, no_console_errors, weeks

from ergod import i18n
from ergod.core.rules import Kind
from ergod.exercises.library import cards, load_library
from ergod.i18n import LOCALE_DIR
from ergod.summary.render_html import render_html

pytestmark = pytest.mark.e2e
WEEK = "2026-W14"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A user in Berlin whose store `ergod demo` filled with four weeks to WEEK."""
    env = soak_env(tmp_path_factory.mktemp("demo"))
    done = ergod(env, "demo", "--week", WEEK)
    assert done.returncode == 0, done.stderr
    return env


def test_a_german_prompt_reaches_dunst(
    tmp_path: Path, ergod_env: dict[str, str], notification_server: NotificationServer
) -> None:
    config = tmp_path / "e2e.toml"
    config.write_text(CONFIG)
    env = {**ergod_env, "LANGUAGE": "de"}
    log = (tmp_path / "ergod.log").open("w")
    daemon = subprocess.Popen(
        [str(ERGOD), "run", "--config", str(config)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    x = [0]
    mouse = Person(lambda: mouse_move(x))
    try:
        wait_for(lambda: status(env), 15, "the control socket")
        mouse.present.set()
        shown = notification_server.wait_for(
            lambda items: [n for n in items if n["appname"] == "ergod"], timeout=20
        )
        prompt = shown[-1]
        assert prompt["summary"] == "Dehnpause"
        assert "1. Aufrecht sitzen; Schulterblätter nach hinten unten ziehen." in prompt["body"]
        assert "Sanft bewegen;" in prompt["body"]
        assert "Stretch" not in prompt["body"] and "Sit tall" not in prompt["body"]
        # A reload chooses again: the configuration now says French.
        config.write_text(CONFIG + 'language = "fr"\n')
        reloaded = ergod(env, "reload")
        assert reloaded.returncode == 0, reloaded.stderr
        wait_for(lambda: "language: fr" in (tmp_path / "ergod.log").read_text(), 10, "French")
    finally:
        mouse.close()
        stop_process(daemon)
        log.close()
    text = (tmp_path / "ergod.log").read_text()
    assert text.index("language: de") < text.index("language: fr")
    assert "Traceback" not in text, text


def test_ergod_summary_in_french(demo: dict[str, str]) -> None:
    done = ergod({**demo, "LANGUAGE": "fr"}, "summary", "--week", WEEK)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Bilan ergod de la semaine 14 de 2026")
    assert "pauses mouvement" in out and "Meilleur jour\u00a0:" in out
    assert "Ne comptez pas sur les rappels" in out.replace("\n", " ")
    assert "movement" not in out and "Sitting" not in out
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_html_report_renders_in_each_language(language: str, tmp_path: Path) -> None:
    i18n.activate(language, {})
    try:
        page_html = render_html(list(weeks(2)))
    finally:
        i18n.activate("en", {})
    page = tmp_path / "report.html"
    page.write_text(page_html, encoding="utf-8")
    shot = tmp_path / "shot.png"
    done = chromium(f"--screenshot={shot}", "--window-size=390,2000", page.as_uri(), tmp=tmp_path)
    no_console_errors(done)
    assert shot.stat().st_size > 10_000
    got = in_a_phone(page_html, tmp_path)
    assert got["lang"] == language
    assert got["scroll"] <= got["client"], got


def test_no_untranslated_string_in_the_installed_commands(
    demo: dict[str, str], tmp_path: Path
) -> None:
    catalogs.pseudo(tmp_path)
    env = {**demo, "LANGUAGE": catalogs.PSEUDO, "ERGOD_LOCALEDIR": str(tmp_path)}
    library = load_library((), ())
    allowed = allowed_words()
    listed = ergod(env, "exercises")
    assert listed.returncode == 0, listed.stderr
    assert untranslated(listed.stdout, allowed) == [], listed.stdout
    ids = {e.id for e in library.exercises} | {c.id for c in cards(library, Kind.MOVEMENT, 180.0)}
    for card in sorted(ids):
        shown = ergod(env, "exercises", "show", card)
        assert shown.returncode == 0, shown.stderr
        assert "\u27e6" in shown.stdout
        assert untranslated(shown.stdout, allowed) == [], shown.stdout
    text = ergod(env, "summary", "--week", WEEK)
    assert text.returncode == 0, text.stderr
    assert untranslated(text.stdout, allowed) == [], text.stdout
    page = ergod(env, "summary", "--week", WEEK, "--format", "html")
    assert page.returncode == 0, page.stderr
    assert f'lang="{catalogs.PSEUDO}"' in page.stdout
    assert untranslated(visible_text(page.stdout), allowed) == []


def _daemon_words(env: dict[str, str]) -> frozenset[str]:
    """Words `ergod status` shows as the daemon sends them: version, names, paths."""
    data = status(env) or {}
    shown = [data.get(key) for key in ("version", "notifier", "config_files", "store")]
    text = json.dumps([*shown, data.get("source", {}).get("name"), data.get("source", {})])
    return frozenset(re.findall(r"[^\W\d_]{2,}", text))


def _said(done: subprocess.CompletedProcess[str], code: int = 0) -> str:
    assert done.returncode == code, (done.stdout, done.stderr)
    return done.stdout if code == 0 else done.stderr


def test_status_and_answers_under_the_pseudo_locale(
    tmp_path: Path, ergod_env: dict[str, str], notification_server: NotificationServer
) -> None:
    catalogs.pseudo(tmp_path / "locale")
    # ERGOD_LOCALEDIR replaces the catalogs: German is there too, for the German command.
    shutil.copytree(LOCALE_DIR / "de", tmp_path / "locale" / "de")
    config = tmp_path / "e2e.toml"
    config.write_text(CONFIG)
    env = {**ergod_env, "LANGUAGE": catalogs.PSEUDO, "ERGOD_LOCALEDIR": str(tmp_path / "locale")}
    log = (tmp_path / "ergod.log").open("w")
    daemon = subprocess.Popen(
        [str(ERGOD), "run", "--config", str(config)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    german = {**env, "LANGUAGE": "de"}
    try:
        wait_for(lambda: status(env), 15, "the control socket")
        allowed = allowed_words() | _daemon_words(env)
        seen = [_said(ergod(env, "status"))]
        for fmt in ("text", "waybar", "i3blocks"):
            line = json.loads(_said(ergod(env, "status", "--format", fmt))) if fmt != "text" else {}
            seen += [str(v) for k, v in line.items() if k in ("text", "tooltip", "full_text")]
        seen.append(_said(ergod(env, "status", "--format", "text")))
        seen.append(_said(ergod(env, "pause", "30m")))
        seen.append(_said(ergod(env, "status")))
        paused = json.loads(_said(ergod(env, "status", "--format", "waybar")))
        assert paused["class"] == "paused"
        seen += [paused["text"], paused["tooltip"]]
        seen.append(_said(ergod(env, "pause")))
        seen += [_said(ergod(env, "resume")), _said(ergod(env, "resume"))]
        seen += [_said(ergod(env, "snooze"), 1), _said(ergod(env, "skip"), 1)]
        seen.append(_said(ergod(env, "reload")))
        for text in seen:
            assert "\u27e6" in text, text
            assert untranslated(text, allowed) == [], text
        # The same daemon answers a German command in German.
        assert _said(ergod(german, "pause", "1h")) == "pausiert für 1 h\n"
        assert "Ruhe: pausiert bis " in _said(ergod(german, "status"))
        assert json.loads(_said(ergod(german, "status", "--format", "waybar")))["text"].startswith(
            "pausiert bis "
        )
        assert _said(ergod(german, "skip"), 1) == (
            "ergod: nichts zu überspringen: keine Pause ist offen\n"
        )
        assert _said(ergod(german, "resume")) == "fortgesetzt\n"
    finally:
        stop_process(daemon)
        log.close()
    assert "language: qps" in (tmp_path / "ergod.log").read_text()
    gone = _said(ergod(env, "status"), 3)
    assert "\u27e6" in gone and untranslated(gone, allowed) == [], gone
    off = _said(ergod(env, "status", "--format", "text"))
    assert off == "\u27e6ergod off\u27e7\n"
    assert _said(ergod(german, "status", "--format", "text")) == "ergod aus\n"


def test_demo_and_forget_under_the_pseudo_locale(tmp_path: Path) -> None:
    catalogs.pseudo(tmp_path / "locale")
    (tmp_path / "home").mkdir()
    env = {
        **soak_env(tmp_path / "home"),
        "LANGUAGE": catalogs.PSEUDO,
        "ERGOD_LOCALEDIR": str(tmp_path / "locale"),
    }
    path_words = frozenset(re.findall(r"[^\W\d_]{2,}", str(tmp_path)))
    allowed = allowed_words() | path_words | {"local", "share", "db"}
    demo = ergod(env, "demo", "--week", WEEK, "--weeks", "2")
    assert demo.returncode == 0, demo.stderr
    said = [demo.stderr]
    said.append(_said(ergod(env, "data", "forget", "--before", "2026-03-31", "--yes")))
    said.append(_said(ergod(env, "data", "forget", "--all", "--yes")))
    said.append(_said(ergod(env, "data", "forget", "--all", "--yes")))
    for text in said:
        assert "\u27e6" in text, text
        assert untranslated(text, allowed) == [], text
    german = {**env, "LANGUAGE": "de"}
    del german["ERGOD_LOCALEDIR"]
    again = ergod(german, "demo", "--week", WEEK)
    assert again.returncode == 0, again.stderr
    assert again.stderr.startswith("ergod: ") and " Sitzphasen und " in again.stderr
    assert " Einträge aus " in _said(ergod(german, "data", "forget", "--all", "--yes"))
