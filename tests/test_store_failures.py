"""A full disk or a read-only directory: reported once, nothing lost that fits, recovered.

Real filesystems, not mocks: a small tmpfs filled by a ballast file for the full
disk. A read-only directory two ways: a tmpfs remounted read-only, and plain
permissions (mode 0555/0444; run as root, the test process drops its effective
uid to `nobody` meanwhile, since root ignores permissions). Mounting needs root
or CAP_SYS_ADMIN; where it is not permitted the tmpfs cases skip with the reason.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ergod.store import DaemonEvent, StoreWriter, open_reader

LOG = "test.store.failures"
WIDE = (datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc))
T0 = datetime(2026, 5, 4, 9, tzinfo=timezone(timedelta(hours=2)))


class Tmpfs:
    """A small tmpfs mounted for one test."""

    def __init__(self, where: Path) -> None:
        self.path = where

    def remount(self, mode: str) -> None:
        subprocess.run(
            ["mount", "-o", f"remount,{mode}", str(self.path)],
            check=True,
            capture_output=True,
        )


@pytest.fixture
def tmpfs() -> Iterator[Tmpfs]:
    where = Path(tempfile.mkdtemp(prefix="ergod-store-"))
    try:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(where)],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        where.rmdir()
        pytest.skip("no mount command to make a small or read-only filesystem")
    if mounted.returncode != 0:
        where.rmdir()
        pytest.skip(f"mounting a tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield Tmpfs(where)
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)
        where.rmdir()


NOBODY = 65534


class ReadOnlySwitch:
    """A directory that can be made read-only and writable again."""

    def __init__(self, path: Path, tmpfs: Tmpfs | None) -> None:
        self.path = path
        self._tmpfs = tmpfs
        self._dropped = False

    def read_only(self) -> None:
        if self._tmpfs is not None:
            self._tmpfs.remount("ro")
            return
        self._chmod(dirs=0o555, files=0o444)
        if os.geteuid() == 0:
            os.seteuid(NOBODY)
            self._dropped = True

    def writable(self) -> None:
        if self._tmpfs is not None:
            self._tmpfs.remount("rw")
            return
        self.restore_uid()
        self._chmod(dirs=0o755, files=0o644)

    def restore_uid(self) -> None:
        if self._dropped:
            os.seteuid(0)
            self._dropped = False

    def _chmod(self, dirs: int, files: int) -> None:
        for root, _, names in os.walk(self.path):
            os.chmod(root, dirs)
            for name in names:
                os.chmod(os.path.join(root, name), files)


@pytest.fixture(params=["tmpfs", "permissions"])
def switch(request: pytest.FixtureRequest) -> Iterator[ReadOnlySwitch]:
    if request.param == "tmpfs":
        tmpfs = request.getfixturevalue("tmpfs")
        yield ReadOnlySwitch(tmpfs.path, tmpfs)
        return
    where = Path(tempfile.mkdtemp(prefix="ergod-store-"))
    os.chmod(where, 0o755)  # `nobody` must reach it
    switch = ReadOnlySwitch(where, None)
    try:
        yield switch
    finally:
        switch.writable()
        shutil.rmtree(where)


def _events(writer: StoreWriter, start: int, count: int, size: int = 1) -> None:
    for i in range(start, start + count):
        writer.daemon_event(DaemonEvent.RELOAD, T0 + timedelta(seconds=i), f"{i}:" + "x" * size)


def _stored(db: Path) -> list[int]:
    with open_reader(db) as reader:
        return [int(e.detail.split(":")[0]) for e in reader.daemon_events_between(*WIDE)]


def _messages(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOG and text in r.getMessage()]


def test_a_full_disk_is_reported_once_and_the_backlog_written_when_space_returns(
    tmpfs: Tmpfs, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmpfs.path / "ergod" / "ergod.db"
    writer = StoreWriter(db, logging.getLogger(LOG), batch_interval=3600, retry_after=3600)
    caplog.set_level(logging.INFO, logger=LOG)
    writer.start()
    try:
        _events(writer, 0, 5)
        assert writer.flush() and writer.status == "ok"
        # Fill the filesystem, leaving less room than the next batch needs.
        ballast = tmpfs.path / "ballast"
        with open(ballast, "wb", buffering=0) as out:
            try:
                while True:
                    out.write(b"\0" * 4096)
            except OSError:
                pass  # ENOSPC: full
        for round_ in range(3):
            _events(writer, 100 + 20 * round_, 20, size=2000)  # accepted, never raises
            assert not writer.flush()
        assert writer.status.startswith("disk full: ") and str(db) in writer.status
        assert len(_messages(caplog, "disk full")) == 1

        ballast.unlink()
        assert writer.flush(), writer.status
        assert writer.status == "ok"
        assert len(_messages(caplog, "works again")) == 1
        assert _stored(db) == [*range(5), *range(100, 160)]
        assert writer.dropped == 0
    finally:
        writer.close()


def test_the_backlog_is_bounded_and_keeps_the_newest(switch: ReadOnlySwitch) -> None:
    db = switch.path / "ergod.db"
    switch.read_only()
    writer = StoreWriter(
        db, logging.getLogger(LOG), batch_interval=3600, retry_after=3600, backlog_limit=30
    )
    writer.start()
    try:
        _events(writer, 0, 100)
        assert not writer.flush()
        assert writer.dropped == 70
        switch.writable()
        assert writer.flush(), writer.status
        assert _stored(db) == list(range(70, 100))
    finally:
        writer.close()


def test_a_read_only_directory_is_reported_once_and_writing_resumes_when_writable(
    switch: ReadOnlySwitch, caplog: pytest.LogCaptureFixture
) -> None:
    db = switch.path / "ergod" / "ergod.db"
    caplog.set_level(logging.INFO, logger=LOG)
    # One file written while the filesystem was writable, then read-only at start.
    first = StoreWriter(db, logging.getLogger(LOG))
    first.start()
    _events(first, 0, 3)
    assert first.close()
    switch.read_only()

    writer = StoreWriter(db, logging.getLogger(LOG), batch_interval=0.01, retry_after=3600)
    writer.start()
    try:
        assert writer.status.startswith("read-only: ") and str(db) in writer.status
        for round_ in range(3):
            _events(writer, 10 + 10 * round_, 10)
            assert not writer.flush()
        assert len(_messages(caplog, "read-only")) == 1
        assert len(_messages(caplog, str(db))) == 1

        switch.writable()
        assert writer.flush(), writer.status
        assert writer.status == "ok"
        assert len(_messages(caplog, "works again")) == 1
        assert _stored(db) == [0, 1, 2, *range(10, 40)]
    finally:
        writer.close()


def test_a_directory_that_cannot_be_created_is_reported(
    switch: ReadOnlySwitch, caplog: pytest.LogCaptureFixture
) -> None:
    db = switch.path / "state" / "ergod" / "ergod.db"
    switch.read_only()
    caplog.set_level(logging.INFO, logger=LOG)
    writer = StoreWriter(db, logging.getLogger(LOG), retry_after=3600)
    writer.start()
    try:
        assert writer.status.startswith("read-only: "), writer.status
        _events(writer, 0, 3)
        assert not writer.flush()
        switch.writable()
        assert writer.flush(), writer.status
        assert _stored(db) == [0, 1, 2]
        assert len(_messages(caplog, "read-only")) == 1
    finally:
        writer.close()
