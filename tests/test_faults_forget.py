"""`ergod data forget` covers what the daemon still holds, and says when it could not finish
(issue 17, item 12).

Before: a break open when the user forgot everything was written when it
resolved, with its earlier due date, so forgotten history came back; and with
another program reading the file, `forget` said "deleted" while the rows were
still in it (the WAL checkpoint could not finish). The daemon is the installed
`ergod run`, headless; the other reader is a plain SQLite connection.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import datetime
from pathlib import Path

from daemon_support import Daemon, ergod, private_env, status, wait_for
from test_store_cli import MARKER, _fill

# A stretch break falls due 3 s after start and stays open (one prompt, a long
# grace) until the test skips it.
OPEN_LONG = """\
[activity]
source = "none"

[breaks.stretch]
every = "3s"
duration = "1s"
grace = "10m"
repeat = "10m"
max_prompts = 1

[breaks.movement]
enabled = false

[notify]
backend = "console"
"""


def _rows(env: dict[str, str], table: str) -> list[dict[str, object]]:
    done = ergod(env, "data", "export", "--table", table)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_break_open_at_the_forget_does_not_come_back(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    config = tmp_path / "open.toml"
    config.write_text(OPEN_LONG)
    with Daemon(env, "--config", str(config)) as daemon:
        wait_for(lambda: (status(env) or {}).get("open_break"), 20, "an open break")
        forgotten_at = datetime.now().astimezone()
        done = ergod(env, "data", "forget", "--all", "--yes")
        assert done.returncode == 0, done.stderr
        assert ergod(env, "skip").returncode == 0  # it resolves after the forget
        assert daemon.stop() == 0
    breaks = _rows(env, "breaks")
    # Before: [{"outcome": "skipped", "due": <before the forget>, ...}].
    early = [b for b in breaks if datetime.fromisoformat(str(b["due"])) < forgotten_at]
    assert early == [], early
    events = _rows(env, "daemon_events")
    assert [e["event"] for e in events] == ["stop"]  # the start was forgotten


def test_forget_with_another_reader_says_what_it_could_not_do(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    db = Path(env["XDG_STATE_HOME"]) / "ergod" / "ergod.db"
    _fill(db)
    reader = sqlite3.connect(db, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM breaks").fetchone()
        done = ergod(env, "data", "forget", "--all", "--yes")
        # Before: exit 0, "deleted 10 records", the marker still in the file.
        assert done.returncode == 1, done.stdout
        assert f"deleted 10 records from {db}, but their old copies are still in the file" in (
            done.stderr
        )
        assert "run the same command again" in done.stderr
        assert MARKER.encode() in _file_bytes(db)
    finally:
        with contextlib.suppress(sqlite3.Error):
            reader.execute("COMMIT")
        reader.close()
    again = ergod(env, "data", "forget", "--all", "--yes")
    assert again.returncode == 0, again.stderr
    assert "nothing to forget" in again.stdout
    assert MARKER.encode() not in _file_bytes(db)


def _file_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
