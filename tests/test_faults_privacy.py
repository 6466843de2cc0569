"""docs/privacy.md and the code agree (issue 17, item 13).

* The console notifier wrote whole prompts ("Sitting for N min", the
  exercise, the weekly figures) to stderr, which under systemd is the
  journal, where privacy.md promised no adherence data goes. Now, when stderr
  is the journal (`$JOURNAL_STREAM` names it), only the title goes there.
  Here stderr is a file and `$JOURNAL_STREAM` names that file, which is all
  systemd does.
* privacy.md says "configuration reloaded" events are stored: the recorder
  records them, and the daemon records each reload.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest
from daemon_support import ERGOD, Daemon, ergod, private_env, status, wait_for

from ergod.daemon.recorder import Recorder
from ergod.store import open_reader

REPO = Path(__file__).resolve().parents[1]
PROMPTS = """\
[activity]
source = "none"

[breaks]
coalesce = "0s"

[breaks.stretch]
every = "2s"
duration = "1s"
grace = "1s"
repeat = "1s"
max_prompts = 1

[breaks.movement]
every = "3s"
duration = "1s"
grace = "1s"
repeat = "1s"
max_prompts = 1

[notify]
backend = "console"
"""


def _prompt_lines(tmp_path: Path, *, journal: str | None) -> list[str]:
    """The console lines of a daemon whose stderr is a file; `journal`: what
    $JOURNAL_STREAM says ("match" for that file's own device:inode)."""
    env = private_env(tmp_path)
    config = tmp_path / "prompts.toml"
    config.write_text(PROMPTS)
    log = tmp_path / "stderr.log"
    with log.open("w") as err:
        info = os.fstat(err.fileno())
        if journal == "match":
            env["JOURNAL_STREAM"] = f"{info.st_dev}:{info.st_ino}"
        elif journal is not None:
            env["JOURNAL_STREAM"] = journal
        proc = subprocess.Popen(
            [str(ERGOD), "run", "--config", str(config)], env=env, stdout=err, stderr=err
        )
        try:
            wait_for(
                lambda: "Time to stand up" in log.read_text() and "Stretch" in log.read_text(),
                30,
                "a prompt of each kind",
            )
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    text = log.read_text()
    titles = ("ergod: Stretch break", "ergod: Time to stand up and move")
    return [line for line in text.splitlines() if line.startswith(titles)]


@pytest.mark.e2e  # the installed daemon, until it prompts
def test_in_the_journal_a_prompt_is_its_title_only(tmp_path: Path) -> None:
    lines = _prompt_lines(tmp_path, journal="match")
    # Before: "ergod: Stretch break: Neck tilt / Tilt your head ..." and, for a
    # movement break, "Sitting for N min" with it.
    assert lines, "no prompt line at all"
    assert set(lines) <= {"ergod: Stretch break", "ergod: Time to stand up and move"}, lines


@pytest.mark.e2e
@pytest.mark.parametrize("journal", [None, "1:2"], ids=["a terminal", "an inherited variable"])
def test_elsewhere_a_prompt_is_whole(tmp_path: Path, journal: str | None) -> None:
    lines = _prompt_lines(tmp_path, journal=journal)
    stretch = [line for line in lines if line.startswith("ergod: Stretch break")]
    assert stretch and all(line.startswith("ergod: Stretch break: ") for line in stretch)


def test_the_recorder_records_a_reload(tmp_path: Path) -> None:
    db = tmp_path / "ergod.db"
    recorder = Recorder(db, lambda t: datetime.fromtimestamp(t, timezone.utc), logging.getLogger())
    recorder.start(1_790_000_000.0, retention=400 * 86400.0)
    recorder.reloaded(1_790_000_060.0)
    recorder.stop(1_790_000_120.0, None)
    with open_reader(db) as reader:
        events = reader.daemon_events_between(
            datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2027, 1, 1, tzinfo=timezone.utc)
        )
    assert [e.event.value for e in events] == ["start", "reload", "stop"]


def test_a_reload_is_stored_as_privacy_md_says(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    with Daemon(env) as daemon:
        wait_for(lambda: status(env), 15, "the control socket")
        assert ergod(env, "reload").returncode == 0
        assert daemon.stop() == 0
    done = ergod(env, "data", "export", "--table", "daemon_events")
    events = [json.loads(line)["event"] for line in done.stdout.splitlines()]
    assert events == ["start", "reload", "stop"]


def test_privacy_md_says_what_the_console_writes_to_the_journal() -> None:
    text = " ".join((REPO / "docs" / "privacy.md").read_text(encoding="utf-8").split())
    assert "only the prompt's title" in text
    assert "configuration reloaded" in text
