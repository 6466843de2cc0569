"""The adherence store on real SQLite files: round trips, batching, merging, refusals.

Every record kind goes through the writer thread onto disk and back through the
read-only reader, with times on both sides of Europe/Berlin's DST changes.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ergod.core.model import BreakRecord, Outcome
from ergod.core.rules import Kind
from ergod.store import (
    SCHEMA_VERSION,
    CorruptStoreError,
    DaemonEvent,
    MissingStoreError,
    NewerSchemaError,
    StoreWriter,
    open_reader,
    open_store,
)

BERLIN = ZoneInfo("Europe/Berlin")
# 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
SPRING = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)
AUTUMN = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
WIDE = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc))


def lived(moment: datetime | None) -> tuple[float, timedelta | None] | None:
    """A moment as (UTC instant, local offset): equal means the same instant, lived in
    the same local time. (Python compares a fold=1 time in another zone as unequal.)"""
    return None if moment is None else (moment.timestamp(), moment.utcoffset())


def berlin(t: float) -> datetime:
    """The engine-seconds-to-wall converter the daemon passes: here epoch seconds."""
    return datetime.fromtimestamp(t, BERLIN)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "ergod" / "ergod.db"


@pytest.fixture
def writer(db: Path) -> Iterator[StoreWriter]:
    w = StoreWriter(db, logging.getLogger("test.store"), batch_interval=60.0)
    w.start()
    yield w
    w.close()


def _break(kind: Kind, due: datetime, outcome: Outcome, after: float | None) -> BreakRecord:
    t = due.timestamp()
    shown = outcome not in (Outcome.SUPPRESSED, Outcome.MERGED)
    return BreakRecord(
        kind=kind,
        due=t,
        first_prompt=t if shown else None,
        prompts=2 if shown else 0,
        snoozes=1 if shown else 0,
        outcome=outcome,
        outcome_at=None if after is None else t + after,
        latency=30.0 if outcome is Outcome.TAKEN else None,
        exercise="scap_squeeze" if shown else None,
    )


@pytest.mark.parametrize("moment", [SPRING, AUTUMN], ids=["spring-forward", "fall-back"])
def test_every_record_kind_round_trips_across_dst(
    writer: StoreWriter, db: Path, moment: datetime
) -> None:
    # Elapsed-time arithmetic: aware datetimes in one zone add in wall time.
    start = berlin(moment.timestamp() - 3600)
    end = berlin(moment.timestamp() + 3600)
    later = berlin(moment.timestamp() + 300)
    writer.bout(start, end)
    taken = _break(Kind.MOVEMENT, moment, Outcome.TAKEN, 200.0)
    quiet = _break(Kind.STRETCH, later, Outcome.SUPPRESSED, None)
    writer.break_record(taken, berlin)
    writer.break_record(quiet, berlin)
    writer.activity(start, end)
    writer.daemon_event(DaemonEvent.START, start, "0.1.0")
    writer.daemon_event(DaemonEvent.STOP, end)
    assert writer.flush()
    assert writer.status == "ok"

    with open_reader(db) as reader:
        (bout,) = reader.bouts_between(*WIDE)
        assert (lived(bout.start), lived(bout.end), bout.length) == (
            lived(start),
            lived(end),
            7200.0,
        )
        # Each moment keeps the offset it was lived in: one side of the change each.
        assert bout.start.utcoffset() != bout.end.utcoffset()

        first, second = reader.breaks_between(*WIDE)
        assert first.kind is Kind.MOVEMENT and first.outcome is Outcome.TAKEN
        assert lived(first.due) == lived(first.first_prompt) == lived(moment)
        assert lived(first.outcome_at) == lived(berlin(moment.timestamp() + 200))
        assert (first.prompts, first.snoozes, first.latency, first.exercise) == (
            2,
            1,
            30.0,
            "scap_squeeze",
        )
        assert second.outcome is Outcome.SUPPRESSED
        assert (second.first_prompt, second.outcome_at, second.latency) == (None, None, None)
        assert lived(second.due) == lived(later)

        (span,) = reader.activity_between(*WIDE)
        assert (lived(span.start), lived(span.end)) == (lived(start), lived(end))
        assert [(e.event, e.detail) for e in reader.daemon_events_between(*WIDE)] == [
            (DaemonEvent.START, "0.1.0"),
            (DaemonEvent.STOP, ""),
        ]
        first_and_last = reader.first_and_last()
        assert first_and_last is not None
        assert [lived(m) for m in first_and_last] == [lived(start), lived(end)]


def test_a_week_query_cuts_on_the_first_moment(writer: StoreWriter, db: Path) -> None:
    monday = datetime(2026, 3, 23, tzinfo=BERLIN)
    next_monday = datetime(2026, 3, 30, tzinfo=BERLIN)  # after the DST change: 6 days 23 h
    for day in range(-1, 9):
        at = monday + timedelta(days=day, hours=9)
        writer.bout(at, at + timedelta(minutes=50))
        writer.break_record(_break(Kind.STRETCH, at, Outcome.IGNORED, 300.0), berlin)
    assert writer.flush()
    with open_reader(db) as reader:
        bouts = reader.bouts_between(monday, next_monday)
        assert [b.start.day for b in bouts] == [23, 24, 25, 26, 27, 28, 29]
        assert [b.start.hour for b in bouts] == [9] * 7  # local hours, CET and CEST alike
        assert len(reader.breaks_between(monday, next_monday)) == 7


def test_records_are_written_in_batches_and_all_there_after_flush(db: Path) -> None:
    w = StoreWriter(db, logging.getLogger("test.store"), batch_interval=3600.0)
    w.start()
    try:
        at = datetime(2026, 5, 4, 9, tzinfo=BERLIN)
        for i in range(500):
            w.daemon_event(DaemonEvent.RELOAD, at + timedelta(seconds=i), str(i))
        # Nothing forces a commit before the batch interval; after flush, all are there.
        assert w.flush()
        with open_reader(db) as reader:
            rows = reader.daemon_events_between(*WIDE)
        assert [r.detail for r in rows] == [str(i) for i in range(500)]
        assert w.written == 500
    finally:
        w.close()


def test_close_writes_what_is_left(db: Path) -> None:
    w = StoreWriter(db, logging.getLogger("test.store"), batch_interval=3600.0)
    w.start()
    at = datetime(2026, 5, 4, 9, tzinfo=BERLIN)
    w.bout(at, at + timedelta(minutes=20))
    assert w.close()
    with open_reader(db) as reader:
        assert len(reader.bouts_between(*WIDE)) == 1


def test_the_batch_interval_commits_without_a_flush(db: Path) -> None:
    w = StoreWriter(db, logging.getLogger("test.store"), batch_interval=0.05)
    w.start()
    try:
        at = datetime(2026, 5, 4, 9, tzinfo=BERLIN)
        w.bout(at, at + timedelta(minutes=20))
        for _ in range(200):
            with open_reader(db) as reader:
                if reader.bouts_between(*WIDE):
                    break
            # Polling the outcome, not timing it: the batch lands within the loop.
            import time

            time.sleep(0.02)
        else:
            pytest.fail("the batch was never committed without a flush")
    finally:
        w.close()


def test_activity_spans_merge_to_whole_seconds(writer: StoreWriter, db: Path) -> None:
    t0 = datetime(2026, 5, 4, 9, tzinfo=BERLIN)

    def at(s: float) -> datetime:
        return t0 + timedelta(seconds=s)

    writer.activity(at(0.4), at(10.2))  # -> [0, 11]
    writer.activity(at(11.0), at(20.0))  # touches: merged
    writer.activity(at(5), at(8))  # inside: merged
    writer.activity(at(100), at(110))  # separate
    assert writer.flush()
    writer.activity(at(30), at(99.5))  # a later batch bridges the gap to the stored spans
    writer.activity(at(500), at(501))
    assert writer.flush()
    with open_reader(db) as reader:
        spans = [(s.start, s.end) for s in reader.activity_between(*WIDE)]
        assert spans == [(at(0), at(20)), (at(30), at(110)), (at(500), at(501))]
        # Clipped to the query's window.
        clipped = reader.activity_between(at(10), at(40))
        assert [(s.start, s.end) for s in clipped] == [(at(10), at(20)), (at(30), at(40))]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM activity").fetchone()[0] == 3


def test_prune_deletes_what_is_older_than_retention(writer: StoreWriter, db: Path) -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=BERLIN)
    old = now - timedelta(days=401)
    recent = now - timedelta(days=10)
    for at in (old, recent):
        writer.bout(at, at + timedelta(minutes=30))
        writer.break_record(_break(Kind.MOVEMENT, at, Outcome.SKIPPED, 10.0), berlin)
        writer.activity(at, at + timedelta(minutes=30))
        writer.daemon_event(DaemonEvent.START, at)
    writer.prune_older_than(400 * 86400, now=now.timestamp())
    assert writer.flush()
    with open_reader(db) as reader:
        assert [b.start for b in reader.bouts_between(*WIDE)] == [recent]
        assert [b.due for b in reader.breaks_between(*WIDE)] == [recent]
        assert [s.start for s in reader.activity_between(*WIDE)] == [recent]
        assert [e.at for e in reader.daemon_events_between(*WIDE)] == [recent]


def test_naive_times_are_refused_at_the_call(writer: StoreWriter) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        writer.bout(datetime(2026, 1, 1, 9), datetime(2026, 1, 1, 10))


# Only times, counts, kinds, outcomes and an exercise id: nothing that could hold
# which key, button or pointer position an input had.
ALLOWED_COLUMNS = {
    "meta": {"key", "value"},
    "bouts": {"id", "start_utc", "start_offset", "end_utc", "end_offset", "length_s"},
    "breaks": {
        "id",
        "kind",
        "due_utc",
        "due_offset",
        "first_prompt_utc",
        "first_prompt_offset",
        "prompts",
        "snoozes",
        "outcome",
        "outcome_utc",
        "outcome_offset",
        "latency_s",
        "exercise",
    },
    "activity": {"id", "start_utc", "start_offset", "end_utc", "end_offset"},
    "daemon_events": {"id", "at_utc", "at_offset", "event", "detail"},
}


def test_the_schema_has_no_column_for_keys_buttons_or_positions(db: Path) -> None:
    open_store(db).close()
    with sqlite3.connect(db) as conn:
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        columns = {
            table: {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            for table in tables
        }
    assert columns == ALLOWED_COLUMNS


def test_a_new_file_is_wal_with_the_current_schema_version(db: Path) -> None:
    open_store(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(SCHEMA_VERSION),)
    # Opening again migrates nothing and keeps the data.
    open_store(db).close()


def _newer(db: Path) -> None:
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION + 1),))
        conn.execute("CREATE TABLE bouts_v2 (x)")
    conn.close()


def _garbage(db: Path) -> None:
    db.parent.mkdir(parents=True)
    db.write_bytes(b"this is not SQLite, and ergod must leave it be\n" * 200)


def _foreign(db: Path) -> None:
    db.parent.mkdir(parents=True)
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    conn.close()


def _truncated(db: Path) -> None:
    db.parent.mkdir(parents=True)
    open_store(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.executemany(
            "INSERT INTO daemon_events (at_utc, at_offset, event, detail) "
            "VALUES (?, 0, 'start', ?)",
            [(float(i), "x" * 500) for i in range(200)],
        )
    conn.close()
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("make", "error", "status"),
    [
        (_newer, NewerSchemaError, "newer ergod"),
        (_garbage, CorruptStoreError, "not a usable ergod database"),
        (_foreign, CorruptStoreError, "not ergod's"),
        (_truncated, CorruptStoreError, "not a usable ergod database"),
    ],
    ids=["newer-schema", "garbage", "foreign", "truncated"],
)
def test_an_unusable_file_is_reported_and_never_touched(
    db: Path,
    make: object,
    error: type[Exception],
    status: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make(db)  # type: ignore[operator]
    before = {p.name: p.read_bytes() for p in db.parent.iterdir()}

    w = StoreWriter(db, logging.getLogger("test.store"), batch_interval=0.01)
    with caplog.at_level(logging.WARNING, logger="test.store"):
        w.start()
        at = datetime(2026, 5, 4, 9, tzinfo=BERLIN)
        for _ in range(3):
            w.bout(at, at + timedelta(minutes=20))  # accepted, never raises
            assert not w.flush()
        assert w.close() is False
    assert w.status.startswith("unavailable: ")
    assert status in w.status and str(db) in w.status
    assert w.dropped == 3
    assert len([r for r in caplog.records if str(db) in r.getMessage()]) == 1

    with pytest.raises(error, match=status):
        open_reader(db)
    with pytest.raises(error):
        open_store(db)
    assert {p.name: p.read_bytes() for p in db.parent.iterdir()} == before


def test_the_reader_reports_a_missing_file_and_creates_nothing(db: Path) -> None:
    with pytest.raises(MissingStoreError, match="no adherence data yet"):
        open_reader(db)
    assert not db.parent.exists()


def test_a_forward_migration_keeps_the_data_and_a_failed_one_changes_nothing(
    db: Path, writer: StoreWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ergod.store import schema

    at = datetime(2026, 5, 4, 9, tzinfo=BERLIN)
    writer.bout(at, at + timedelta(minutes=20))
    assert writer.close()

    # A broken step 1 -> 2: the transaction rolls back, the file stays at version 1.
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setattr(
        schema, "MIGRATIONS", (*schema.MIGRATIONS, "ALTER TABLE bouts ADD COLUMN a; BROKEN SQL;")
    )
    with pytest.raises(sqlite3.OperationalError):
        open_store(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION),)
        assert "a" not in {row[1] for row in conn.execute("PRAGMA table_info(bouts)")}
    conn.close()

    # A good step 1 -> 2 runs once and the rows are still there.
    monkeypatch.setattr(
        schema, "MIGRATIONS", (*schema.MIGRATIONS[:-1], "ALTER TABLE bouts ADD COLUMN note TEXT;")
    )
    open_store(db).close()
    open_store(db).close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT value FROM meta").fetchone() == (str(SCHEMA_VERSION + 1),)
        assert conn.execute("SELECT length_s, note FROM bouts").fetchall() == [(1200.0, None)]
    conn.close()


def test_recording_goes_on_while_another_process_holds_the_file_locked(db: Path) -> None:
    w = StoreWriter(db, logging.getLogger("test.store"), batch_interval=0.01)
    w.start()
    try:
        blocker = sqlite3.connect(db, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")
        at = datetime(2026, 5, 4, 9, tzinfo=BERLIN)
        # The writer thread is stuck on the lock; the calls still all return.
        for i in range(2000):
            w.daemon_event(DaemonEvent.RELOAD, at + timedelta(seconds=i), str(i))
        assert not w.flush(timeout=0.3)
        blocker.execute("ROLLBACK")
        blocker.close()
        assert w.flush(), w.status
        assert w.status == "ok"
        with open_reader(db) as reader:
            assert len(reader.daemon_events_between(*WIDE)) == 2000
    finally:
        w.close()


def test_a_record_sqlite_refuses_is_dropped_and_does_not_block_later_ones(
    writer: StoreWriter, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    at = datetime(2026, 5, 4, 9, tzinfo=BERLIN)
    writer.daemon_event(DaemonEvent.START, at, detail=object())  # type: ignore[arg-type]
    assert not writer.flush()
    assert writer.dropped == 1
    writer.daemon_event(DaemonEvent.STOP, at)
    assert writer.flush()
    assert writer.status == "ok"
    with open_reader(db) as reader:
        assert [e.event for e in reader.daemon_events_between(*WIDE)] == [DaemonEvent.STOP]
    assert any("refused" in r.getMessage() for r in caplog.records)


def test_a_writer_with_retention_prunes_with_its_first_batch(db: Path) -> None:
    now = datetime.now(BERLIN).replace(microsecond=0)
    old, recent = now - timedelta(days=30), now - timedelta(days=2)
    first = StoreWriter(db, logging.getLogger("test.store"))
    first.start()
    for at in (old, recent):
        first.bout(at, at + timedelta(minutes=30))
    assert first.close()

    w = StoreWriter(db, logging.getLogger("test.store"), retention=7 * 86400)
    w.start()
    try:
        w.daemon_event(DaemonEvent.START, now)
        assert w.flush()
        with open_reader(db) as reader:
            assert [b.start for b in reader.bouts_between(*WIDE)] == [recent]
            assert len(reader.daemon_events_between(*WIDE)) == 1
    finally:
        w.close()
