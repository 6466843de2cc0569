"""`ergod data export` and `ergod data forget` on real database files.

Through `ergod.cli.main` in-process and through the installed `ergod` as a user
runs it, with XDG directories in a temporary tree.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ergod.cli import main
from ergod.core.model import BreakRecord, Outcome
from ergod.core.rules import Kind
from ergod.store import DaemonEvent, StoreWriter

CEST = timezone(timedelta(hours=2))
OLD = datetime(2025, 6, 2, 9, 0, tzinfo=CEST)
NEW = datetime(2026, 6, 2, 9, 0, tzinfo=CEST)
MARKER = "forget-me-7f3a"


def _wall(t: float) -> datetime:
    return datetime.fromtimestamp(t, CEST)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, sub in (
        ("XDG_STATE_HOME", "state"),
        ("XDG_CONFIG_HOME", "config"),
        ("ERGOD_SYSTEM_DIR", "etc"),
        ("HOME", "home"),
    ):
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(name, str(tmp_path / sub))
    monkeypatch.setenv("TZ", "Europe/Berlin")
    return tmp_path


@pytest.fixture
def db(home: Path) -> Iterator[Path]:
    path = home / "state" / "ergod" / "ergod.db"
    _fill(path)
    yield path


def _fill(path: Path) -> None:
    w = StoreWriter(path, logging.getLogger("test.store.cli"), batch_interval=3600)
    w.start()
    for at in (OLD, NEW):
        t = at.timestamp()
        w.bout(at, at + timedelta(minutes=25))
        w.break_record(
            BreakRecord(Kind.STRETCH, t, t, 1, 1, Outcome.TAKEN, t + 90, 12.5, "neck_tilt"), _wall
        )
        w.break_record(
            BreakRecord(Kind.MOVEMENT, t, None, 0, 0, Outcome.SUPPRESSED, None, None, None), _wall
        )
        w.activity(at, at + timedelta(minutes=25))
        w.daemon_event(DaemonEvent.START, at, MARKER if at is OLD else "0.1.0")
    assert w.close()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_jsonl_has_every_table_with_local_times(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, "data", "export")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert sorted({r["table"] for r in rows}) == ["activity", "bouts", "breaks", "daemon_events"]
    bouts = [r for r in rows if r["table"] == "bouts"]
    assert bouts[0] == {
        "table": "bouts",
        "id": 1,
        "start": "2025-06-02T09:00:00+02:00",
        "end": "2025-06-02T09:25:00+02:00",
        "length_s": 1500.0,
    }
    taken = next(r for r in rows if r["table"] == "breaks" and r["outcome"] == "taken")
    assert taken["due"] == taken["first_prompt"] == "2025-06-02T09:00:00+02:00"
    assert taken["outcome_at"] == "2025-06-02T09:01:30+02:00"
    assert (taken["kind"], taken["latency_s"], taken["exercise"]) == ("stretch", 12.5, "neck_tilt")
    quiet = next(r for r in rows if r["table"] == "breaks" and r["outcome"] == "suppressed")
    assert quiet["first_prompt"] is None and quiet["outcome_at"] is None
    spans = [r for r in rows if r["table"] == "activity"]
    assert [s["start"] for s in spans] == ["2025-06-02T09:00:00+02:00", "2026-06-02T09:00:00+02:00"]
    # No raw offset columns: each time carries its own.
    assert not any(k.endswith(("_utc", "_offset")) for r in rows for k in r)


def test_export_csv_one_table_to_a_file(
    db: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = home / "breaks.csv"
    code, out, _ = _run(capsys, "data", "export", "--format", "csv", "--output", str(target))
    assert (code, out) == (0, "")
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [(r["kind"], r["outcome"]) for r in rows] == [
        ("stretch", "taken"),
        ("movement", "suppressed"),
    ] * 2
    assert rows[0]["outcome_at"] == "2025-06-02T09:01:30+02:00"

    code, out, _ = _run(capsys, "data", "export", "--format", "csv", "--table", "daemon_events")
    assert code == 0
    assert out.splitlines()[0] == "id,at,event,detail"


def test_export_csv_of_an_empty_table_still_has_its_header(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(capsys, "data", "forget", "--all", "--yes")[0] == 0
    code, out, _ = _run(capsys, "data", "export", "--format", "csv", "--table", "bouts")
    assert (code, out) == (0, "id,start,end,length_s\n")


def test_export_with_nothing_recorded_says_so_and_creates_nothing(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(capsys, "data", "export")
    assert (code, out) == (0, "")
    assert "nothing recorded yet" in err
    assert not (home / "state" / "ergod").exists()


def test_forget_before_a_date_deletes_older_records_from_the_disk_too(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert MARKER.encode() in _file_bytes(db)
    code, out, _ = _run(capsys, "data", "forget", "--before", "2026-01-01", "--yes")
    assert code == 0
    assert "deleted 5 records" in out
    code, out, _ = _run(capsys, "data", "export")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 5 and all(r.get("start", r.get("due", r.get("at", ""))) for r in rows)
    assert all("2026-06-02" in (r.get("start") or r.get("due") or r.get("at")) for r in rows)
    # VACUUM and a truncated log: the deleted text is gone from the files, not just hidden.
    assert MARKER.encode() not in _file_bytes(db)


def _file_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_forget_all(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "data", "forget", "--all", "--yes")
    assert (code, out.strip()) == (0, f"deleted 10 records from {db}")
    assert _run(capsys, "data", "export")[1] == ""
    code, out, _ = _run(capsys, "data", "forget", "--all", "--yes")
    assert code == 0 and "nothing to forget" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--before", "2026-02-30", "--yes"], "--before wants a date like"),
        (["--before", "yesterday", "--yes"], "--before wants a date like"),
        (["--before", "2026-01-01"], "add --yes"),
        ([], "one of the arguments --before --all is required"),
    ],
)
def test_forget_refuses_with_exit_2_and_deletes_nothing(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    before = _run(capsys, "data", "export")[1]
    assert _exit_code(["data", "forget", *argv]) == 2
    assert message in capsys.readouterr().err
    assert _run(capsys, "data", "export")[1] == before


def _exit_code(argv: list[str]) -> int | str | None:
    """main's return code, or argparse's SystemExit code."""
    try:
        return main(argv)
    except SystemExit as exc:
        return exc.code


def test_an_unusable_database_is_an_error_and_left_alone(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = home / "state" / "ergod" / "ergod.db"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"garbage " * 1000)
    for argv in (["data", "export"], ["data", "forget", "--all", "--yes"]):
        code, out, err = _run(capsys, *argv)
        assert code == 1 and out == ""
        assert "not a usable ergod database" in err and str(path) in err
    assert path.read_bytes() == b"garbage " * 1000


def test_store_path_from_config(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = home / "elsewhere.db"
    _fill(elsewhere)
    config = home / "extra.toml"
    config.write_text(f'[store]\npath = "{elsewhere}"\n', encoding="utf-8")
    code, out, _ = _run(capsys, "data", "export", "--config", str(config), "--table", "bouts")
    assert code == 0 and len(out.splitlines()) == 2
    code, out, _ = _run(capsys, "data", "export", "--table", "bouts")
    assert (code, out) == (0, "")  # the default place has nothing


def _installed(
    home: Path, *argv: str, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "ergod"
    if not exe.exists():
        pytest.fail(f"no `ergod` entry point next to {sys.executable}: run `pip install -e .`")
    return subprocess.run(
        [str(exe), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=stdin,
        env={**os.environ},
    )


def test_the_installed_command_exports_and_forgets(db: Path, home: Path) -> None:
    exported = _installed(home, "data", "export", "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    assert len(exported.stdout.splitlines()) == 10
    refused = _installed(home, "data", "forget", "--all")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    forgot = _installed(home, "data", "forget", "--before", "2026-01-01", "--yes")
    assert forgot.returncode == 0 and "deleted 5 records" in forgot.stdout
    assert len(_installed(home, "data", "export").stdout.splitlines()) == 5


def test_forget_on_a_terminal_asks_first(db: Path, home: Path) -> None:
    import pty

    for answer, code, remaining in ((b"n\n", 1, 10), (b"y\n", 0, 0)):
        controller, terminal = pty.openpty()
        try:
            os.write(controller, answer)
            result = _installed(home, "data", "forget", "--all", stdin=terminal)
        finally:
            os.close(controller)
            os.close(terminal)
        assert result.returncode == code, result.stderr
        assert "Delete all 10 stored records" in result.stderr
        assert len(_installed(home, "data", "export").stdout.splitlines()) == remaining


def test_export_to_a_file_that_cannot_be_written_is_a_runtime_error(
    db: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = home / "no-such-dir" / "out.jsonl"
    code, out, err = _run(capsys, "data", "export", "--output", str(target))
    assert (code, out) == (1, "")
    assert f"cannot write {target}" in err


def test_forget_while_a_writer_has_the_file_open(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = StoreWriter(db, logging.getLogger("test.store.cli"), batch_interval=0.01)
    w.start()
    try:
        w.daemon_event(DaemonEvent.RELOAD, NEW, "before")
        assert w.flush()
        code, out, _ = _run(capsys, "data", "forget", "--all", "--yes")
        assert code == 0 and "deleted 11 records" in out
        w.daemon_event(DaemonEvent.RELOAD, NEW, "after")
        assert w.flush() and w.status == "ok"
    finally:
        w.close()
    rows = [json.loads(line) for line in _run(capsys, "data", "export")[1].splitlines()]
    assert [(r["table"], r["detail"]) for r in rows] == [("daemon_events", "after")]
