"""kill -9 during heavy writing never corrupts the adherence database.

The issue's done-when: a child process writes through the real StoreWriter as
fast as it can (small batches, so commits, checkpoints, merges and prunes are
always in flight) and is killed with SIGKILL at a random moment, over and over.
After every kill the file must pass `PRAGMA integrity_check`, a writer opened on
it must append and commit, and what those writers committed in earlier rounds
must still be there.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ergod.store import DaemonEvent, StoreWriter
from ergod.store.schema import TABLES

ROUNDS = 60

pytestmark = pytest.mark.e2e

# The child: everything the daemon records, as fast as it can, committed every 10 ms.
CHILD = r"""
import logging, random, sys, time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ergod.core.model import BreakRecord, Outcome
from ergod.core.rules import Kind
from ergod.store import DaemonEvent, StoreWriter

berlin = ZoneInfo("Europe/Berlin")
wall = lambda t: datetime.fromtimestamp(t, berlin)
w = StoreWriter(Path(sys.argv[1]), logging.getLogger("child"), batch_interval=0.01)
w.start()
rng = random.Random(int(sys.argv[2]))
t = 1774735200.0 + rng.uniform(0, 86400 * 30)  # around the spring DST change
i = 0
committed = False
while True:
    i += 1
    t += rng.uniform(0.5, 30)
    w.activity(wall(t), wall(t + rng.uniform(0, 20)))
    if i % 7 == 0:
        w.bout(wall(t - 600), wall(t))
    if i % 11 == 0:
        w.break_record(BreakRecord(Kind.STRETCH, t, t, 1, 0, Outcome.TAKEN, t + 40, 5.0, "x"), wall)
    if i % 13 == 0:
        quiet = BreakRecord(Kind.MOVEMENT, t, None, 0, 0, Outcome.SUPPRESSED, None, None, None)
        w.break_record(quiet, wall)
    if i % 101 == 0:
        w.daemon_event(DaemonEvent.RELOAD, wall(t), "child")
    if i % 997 == 0:
        w.prune_older_than(86400 * 20, now=t)
    if i % 64 == 0:
        # A daemon's threads wait for input most of the time; a loop that never
        # sleeps would starve the writer thread of the GIL (each SQLite step
        # releases it, and a busy thread keeps it for the 5 ms switch interval).
        time.sleep(0.0002)
        if not committed and w.written:
            committed = True
            sys.stdout.write("committed\n")
            sys.stdout.flush()
"""


def _committed_rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_kill_9_at_random_moments_never_corrupts_the_database(tmp_path: Path) -> None:
    db = tmp_path / "ergod" / "ergod.db"
    rng = random.Random(os.environ.get("ERGOD_TEST_SEED", "kill-9"))
    log = logging.getLogger("test.store.crash")
    kills_while_writing = 0
    verified = 0
    for round_ in range(ROUNDS):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), str(round_)],
            stdout=subprocess.PIPE,
            text=True,
        )
        # Half the rounds kill at any moment from the start (open, migration, the first
        # batches); the rest once the child's batches are being committed.
        if round_ % 2 == 1:
            assert child.stdout is not None
            assert child.stdout.readline() == "committed\n", "the child committed nothing"
            kills_while_writing += 1
        time.sleep(rng.uniform(0.0, 0.25))
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL, "the child ended before the kill"
        if child.stdout is not None:
            child.stdout.close()

        if not db.exists():
            continue  # killed before the file was created
        assert _integrity(db) == "ok", f"round {round_}: integrity_check failed"
        # A writer reopening the file appends and commits.
        writer = StoreWriter(db, log, batch_interval=60.0)
        writer.start()
        before = _committed_rows(db)["daemon_events"]
        writer.daemon_event(DaemonEvent.START, datetime.now(timezone.utc), f"round {round_}")
        assert writer.flush(), f"round {round_}: {writer.status}"
        assert writer.close()
        assert writer.status == "ok"
        assert _committed_rows(db)["daemon_events"] == before + 1
        verified += 1
        with sqlite3.connect(db) as conn:
            kept = conn.execute(
                "SELECT COUNT(*) FROM daemon_events WHERE detail LIKE 'round %'"
            ).fetchone()[0]
        conn.close()
        assert kept == verified, f"round {round_}: committed rows of earlier rounds are gone"

    assert kills_while_writing == ROUNDS // 2
    counts = _committed_rows(db)
    assert counts["activity"] > 0 and counts["bouts"] > 0 and counts["breaks"] > 0, counts
