"""The adherence store's on-disk format: tables, versions, migrations, time columns.

Contract:
* `SCHEMA_VERSION` is the version this ergod writes; `MIGRATIONS[v]` takes a
  database from version `v` to `v + 1` (index 0 creates an empty file's tables).
  Migrations only go forward and each runs in one transaction with the version
  bump, so a kill in the middle leaves the old version intact.
* A moment is two columns: `<name>_utc` (REAL, seconds since the Unix epoch,
  UTC) and `<name>_offset` (INTEGER, the local UTC offset in seconds at that
  moment), so a week is cut in the user's local time even across DST and travel.
  `to_columns` / `from_columns` are the only conversions.
* No column can hold a key, a button or a pointer position: events are counted
  and timed, never described (tests/test_store_schema.py lists the columns).
* `open_store` is the one way to get a writable connection: it refuses (raising,
  never repairing or resetting) a file that is not an ergod database, is corrupt,
  or has a newer schema, and reads such a file without writing to it. It opens
  the file with `claim_file`: never through a symlink, created 0600, refused
  when it (or its -wal / -shm) belongs to another user.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path

from ergod.errors import ErgodError

SCHEMA_VERSION = 1

# Tables in the order export lists them.
TABLES: tuple[str, ...] = ("bouts", "breaks", "activity", "daemon_events")

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: the first schema.
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE bouts (
        id INTEGER PRIMARY KEY,
        start_utc REAL NOT NULL,
        start_offset INTEGER NOT NULL,
        end_utc REAL NOT NULL,
        end_offset INTEGER NOT NULL,
        length_s REAL NOT NULL
    );
    CREATE INDEX bouts_start ON bouts (start_utc);
    CREATE TABLE breaks (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        due_utc REAL NOT NULL,
        due_offset INTEGER NOT NULL,
        first_prompt_utc REAL,
        first_prompt_offset INTEGER,
        prompts INTEGER NOT NULL,
        snoozes INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        outcome_utc REAL,
        outcome_offset INTEGER,
        latency_s REAL,
        exercise TEXT
    );
    CREATE INDEX breaks_due ON breaks (due_utc);
    CREATE TABLE activity (
        id INTEGER PRIMARY KEY,
        start_utc INTEGER NOT NULL,
        start_offset INTEGER NOT NULL,
        end_utc INTEGER NOT NULL,
        end_offset INTEGER NOT NULL
    );
    CREATE INDEX activity_start ON activity (start_utc);
    CREATE INDEX activity_end ON activity (end_utc);
    CREATE TABLE daemon_events (
        id INTEGER PRIMARY KEY,
        at_utc REAL NOT NULL,
        at_offset INTEGER NOT NULL,
        event TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX daemon_events_at ON daemon_events (at_utc);
    """,
)

assert len(MIGRATIONS) == SCHEMA_VERSION


class DaemonEvent(str, Enum):
    """What the daemon records about itself in `daemon_events.event`."""

    START = "start"
    STOP = "stop"
    RELOAD = "reload"
    DAILY_LIMIT = "daily_limit"  # the day's active time reached `sitting.daily_limit`


class StoreError(ErgodError):
    """The adherence database cannot be used (exit 1); the message names the file."""


class MissingStoreError(StoreError):
    """No database yet: ergod has not recorded anything at this path."""


class CorruptStoreError(StoreError):
    """The file is not an ergod database, or fails SQLite's integrity check."""


class NewerSchemaError(StoreError):
    """The database was written by a newer ergod; this one will not touch it."""


def to_columns(moment: datetime) -> tuple[float, int]:
    """A timezone-aware moment as (UTC epoch seconds, local UTC offset in seconds)."""
    offset = moment.utcoffset()
    if offset is None:
        raise ValueError(f"the store needs timezone-aware times, got {moment!r}")
    return moment.timestamp(), int(offset.total_seconds())


def from_columns(utc: float, offset: int) -> datetime:
    """The moment back, in the local time it was recorded in."""
    return datetime.fromtimestamp(utc, timezone(timedelta(seconds=offset)))


def schema_version(conn: sqlite3.Connection, path: Path) -> int:
    """The file's schema version: 0 for an empty file; raises for a foreign file."""
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.OperationalError:
        raise  # cannot open, locked, read-only: a problem of access, not of the file
    except sqlite3.DatabaseError as exc:
        raise CorruptStoreError(_corrupt_message(path, str(exc))) from exc
    if not names:
        return 0
    if "meta" not in names:
        raise CorruptStoreError(
            f"{path} is an SQLite database but not ergod's (no meta table); "
            "ergod leaves it alone: point [store] path elsewhere or move the file"
        )
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    try:
        return int(row[0]) if row else -1
    except ValueError:
        return -1


def check_readable(conn: sqlite3.Connection, path: Path) -> int:
    """Refuse a corrupt, foreign or newer file; return its schema version."""
    version = schema_version(conn, path)
    if version < 0:
        raise CorruptStoreError(_corrupt_message(path, "its schema version is missing"))
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"{path} has schema version {version}, written by a newer ergod "
            f"(this one knows up to {SCHEMA_VERSION}); ergod will not change it: "
            "upgrade ergod, or point [store] path elsewhere"
        )
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()
    except sqlite3.OperationalError:
        raise
    except sqlite3.DatabaseError as exc:
        raise CorruptStoreError(_corrupt_message(path, str(exc))) from exc
    if result is None or result[0] != "ok":
        detail = result[0] if result else "no answer"
        raise CorruptStoreError(_corrupt_message(path, f"integrity check: {detail}"))
    return version


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Bring a checked database from `version` up to SCHEMA_VERSION, one step a transaction."""
    for step in range(version, SCHEMA_VERSION):
        # executescript commits first; the explicit BEGIN keeps a step atomic.
        try:
            conn.executescript(
                "BEGIN IMMEDIATE;\n"
                + MIGRATIONS[step]
                + "\nINSERT OR REPLACE INTO meta (key, value) "
                + f"VALUES ('schema_version', '{step + 1}');\nCOMMIT;"
            )
        except sqlite3.Error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


# What `delete_before` cuts each table on: a row goes when this moment is older.
_AGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("bouts", "end_utc"),
    ("breaks", "due_utc"),
    ("activity", "end_utc"),
    ("daemon_events", "at_utc"),
)


def count_before(conn: sqlite3.Connection, before_utc: float) -> int:
    """How many rows `delete_before` would delete."""
    return sum(
        int(
            conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {column} < ?", (before_utc,)
            ).fetchone()[0]
        )
        for table, column in _AGE_COLUMNS
    )


def delete_before(conn: sqlite3.Connection, before_utc: float) -> int:
    """Delete the rows whose time is before `before_utc` (retention, `ergod data forget`).

    A bout or activity span goes when it ended before the cut, a break when it
    fell due before it. Runs in the caller's transaction; returns the rows deleted.
    """
    deleted = 0
    for table, column in _AGE_COLUMNS:
        deleted += conn.execute(f"DELETE FROM {table} WHERE {column} < ?", (before_utc,)).rowcount
    return deleted


FORGOTTEN_BEFORE = "forgotten_before"
"""The `meta` key holding the latest cut of `ergod data forget` (UTC epoch seconds)."""


def forgotten_before(conn: sqlite3.Connection) -> float:
    """Moments before this were forgotten by the user; 0 when nothing was."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (FORGOTTEN_BEFORE,)).fetchone()
    try:
        return float(row[0]) if row else 0.0
    except ValueError:
        return 0.0


def mark_forgotten(conn: sqlite3.Connection, before_utc: float) -> None:
    """Record that what happened before `before_utc` was forgotten (caller's transaction).

    A writer that still holds records of that time (the daemon's open break,
    its unwritten batch) drops them instead of bringing them back.
    """
    cut = max(forgotten_before(conn), before_utc)
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (FORGOTTEN_BEFORE, repr(cut))
    )


def compact(conn: sqlite3.Connection) -> str | None:
    """Rewrite the file without deleted rows and empty the WAL; why not, or None.

    Another connection in the middle of a read keeps the old pages, deleted
    rows included, in the file until it ends: then this says so.
    """
    try:
        conn.execute("VACUUM")
        busy, log, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    except sqlite3.Error as exc:
        return str(exc)
    if busy or done < log:
        return "another program is reading the file (ergod summary, a database browser?)"
    return None


def open_store(path: Path) -> sqlite3.Connection:
    """A writable connection to the database at `path`, created and migrated as needed.

    WAL mode with synchronous=NORMAL: a crash never corrupts the file; a power
    loss may drop the last committed batches. The connection is in autocommit
    mode (`isolation_level=None`): callers wrap their batches in BEGIN/COMMIT.
    Raises CorruptStoreError or NewerSchemaError without having written anything,
    and lets OSError / sqlite3.OperationalError (read-only, full disk) through.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    identity = claim_file(path)
    conn = sqlite3.connect(path, isolation_level=None, timeout=5.0, check_same_thread=False)
    try:
        if _identity(path) != identity:
            raise StoreError(f"{path} was replaced while ergod opened it; ergod leaves it")
        version = check_readable(conn, path)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows (retention, `ergod data forget`) are overwritten, not just unlinked;
        # some SQLite builds default to this, others do not.
        conn.execute("PRAGMA secure_delete=ON")
        migrate(conn, version)
    except BaseException:
        conn.close()
        raise
    return conn


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        info = os.lstat(path)
    except OSError:
        return None
    return None if stat.S_ISLNK(info.st_mode) else (info.st_dev, info.st_ino)


def claim_file(path: Path) -> tuple[int, int]:
    """Open or create the database file as this user's alone; its (device, inode).

    Never through a symbolic link (`O_NOFOLLOW`: a link another user planted
    in a shared directory would otherwise get the history, world-readable),
    created 0600 whatever the umask (SQLite gives the -wal and -shm files the
    database file's permissions), and refused when another user owns it or
    its -wal / -shm, or when one of those is a link. A file of ours left
    readable by others (an old ergod) is made 0600. StoreError says what.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_NONBLOCK | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise StoreError(
                f"{path} is a symbolic link; ergod does not follow one to its database "
                "(another user may have planted it): point [store] path at a real file"
            ) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise StoreError(f"{path} is not a regular file; ergod leaves it")
        _refuse_foreign(path, info)
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{path}{suffix}")
        try:
            side_info = os.lstat(side)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(side_info.st_mode):
            raise StoreError(f"{side} is not a regular file (a link?); ergod leaves {path}")
        _refuse_foreign(side, side_info)
    return info.st_dev, info.st_ino


def _refuse_foreign(path: Path, info: os.stat_result) -> None:
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        raise StoreError(
            f"{path} belongs to uid {info.st_uid}, not to you: that user could read and "
            "change your history; ergod leaves it: point [store] path elsewhere"
        )


def _corrupt_message(path: Path, detail: str) -> str:
    return (
        f"{path} is not a usable ergod database ({detail}); ergod will not "
        "overwrite it: move it aside (your history is in it) or point [store] path elsewhere"
    )
