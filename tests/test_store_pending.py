"""Nothing lost at stop (issue 11 part 6), store and summary side, on real SQLite files.

A break shown and still open is stored at once as `pending` (`break_opened`):
a summary taken meanwhile counts it as pending, a stop (or a kill) leaves it
pending, and its outcome later completes the same row.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from ergod.core.model import BreakRecord, Outcome
from ergod.core.rules import Kind
from ergod.store import StoreWriter, open_reader
from ergod.summary.model import IsoWeek, summarize

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
WEEK = IsoWeek.containing(date(2026, 11, 23))


def wall(t: float) -> datetime:
    return MONDAY + timedelta(seconds=t)


def shown(prompts: int = 1, outcome: Outcome = Outcome.PENDING) -> BreakRecord:
    done = outcome is not Outcome.PENDING
    return BreakRecord(
        kind=Kind.MOVEMENT,
        due=1800.0,
        first_prompt=1800.0,
        prompts=prompts,
        snoozes=0,
        outcome=outcome,
        outcome_at=2000.0 if done else None,
        latency=200.0 if outcome is Outcome.TAKEN else None,
        exercise="walk_break",
    )


def writer(path: Path) -> StoreWriter:
    w = StoreWriter(path, logging.getLogger("test.pending"), batch_interval=60.0)
    w.start()
    return w


def counts(path: Path) -> dict[str, int]:
    with open_reader(path) as reader:
        first, last = MONDAY - timedelta(days=8), MONDAY + timedelta(days=8)
        summary = summarize(
            WEEK, reader.bouts_between(first, last), reader.breaks_between(first, last)
        )
    stats = summary.totals.breaks[Kind.MOVEMENT]
    return {"due": stats.due, "shown": stats.shown, "pending": stats.pending, "taken": stats.taken}


def test_an_open_break_is_pending_in_a_summary_then_completed_in_place(tmp_path: Path) -> None:
    path = tmp_path / "ergod.db"
    w = writer(path)
    w.break_opened(shown(prompts=1), wall)
    assert w.flush()
    assert counts(path) == {"due": 1, "shown": 1, "pending": 1, "taken": 0}
    w.break_opened(shown(prompts=2), wall)  # a repeat prompt: the same row
    w.break_record(shown(prompts=2, outcome=Outcome.TAKEN), wall)
    assert w.close()
    assert counts(path) == {"due": 1, "shown": 1, "pending": 0, "taken": 1}
    with open_reader(path) as reader:
        rows = list(reader.rows("breaks"))
    assert len(rows) == 1 and rows[0]["prompts"] == 2 and rows[0]["latency_s"] == 200.0


def test_a_wall_clock_step_between_open_and_outcome_keeps_one_row(tmp_path: Path) -> None:
    path = tmp_path / "ergod.db"
    w = writer(path)
    w.break_opened(shown(), wall)
    stepped = lambda t: wall(t) + timedelta(seconds=37)  # noqa: E731 - NTP stepped the clock
    w.break_record(shown(outcome=Outcome.IGNORED), stepped)
    assert w.close()
    with open_reader(path) as reader:
        rows = list(reader.rows("breaks"))
    assert [r["outcome"] for r in rows] == ["ignored"]


def test_a_stop_leaves_the_open_break_pending_and_a_restart_does_not_touch_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ergod.db"
    w = writer(path)
    w.break_opened(shown(), wall)
    assert w.close()  # the daemon stops with the break open
    again = writer(path)  # a new run: its breaks are its own
    later = BreakRecord(Kind.MOVEMENT, 9000.0, None, 0, 0, Outcome.SUPPRESSED, 9000.0, None, None)
    again.break_record(later, wall)
    assert again.close()
    assert counts(path) == {"due": 2, "shown": 1, "pending": 1, "taken": 0}


KILLED = """
import logging, sys, time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from ergod.core.model import BreakRecord, Outcome
from ergod.core.rules import Kind
from ergod.store import StoreWriter
w = StoreWriter(Path(sys.argv[1]), logging.getLogger("x"), batch_interval=0.05)
w.start()
start = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
record = BreakRecord(Kind.MOVEMENT, 1800.0, 1800.0, 1, 0, Outcome.PENDING, None, None, "walk_break")
w.break_opened(record, lambda t: start + timedelta(seconds=t))
w.flush()
print("stored", flush=True)
time.sleep(60)
"""


def test_a_kill_after_the_prompt_leaves_it_counted_pending(tmp_path: Path) -> None:
    path = tmp_path / "ergod.db"
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None and child.stdout.readline() == "stored\n"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert counts(path)["pending"] == 1


def test_the_first_prompt_since_install_is_known_from_the_store(tmp_path: Path) -> None:
    path = tmp_path / "ergod.db"
    w = writer(path)
    suppressed = BreakRecord(Kind.STRETCH, 600.0, None, 0, 0, Outcome.SUPPRESSED, 600.0, None, None)
    w.break_record(suppressed, wall)
    assert w.flush()
    with open_reader(path) as reader:
        assert not reader.any_prompt_shown()
        assert reader.last_shown_exercise() is None
    w.break_opened(shown(), wall)
    assert w.close()
    with open_reader(path) as reader:
        assert reader.any_prompt_shown()
        assert reader.last_shown_exercise() == "walk_break"
