"""Aggregate metrics: real SQLite stores in, node_exporter textfiles out, Prometheus' parser.

The store is filled through its own writable connection (schema v1 columns);
`ergod metrics write` and `collect` run as the installed command; the output
is parsed with prometheus_client, the parser node_exporter's ecosystem uses.
"""

from __future__ import annotations

import getpass
import logging
import os
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_service_support import ergod, private_env

from ergod import __version__
from ergod.fleet.metrics import Snapshot, merge, parse, render
from ergod.store import open_store
from ergod.store.schema import to_columns

NOW = datetime.now(timezone(timedelta(hours=1)))


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample as {(name, sorted labels): value}, through Prometheus' parser."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def fill_store(path: Path) -> None:
    """Two bouts (one 10 days ago, longer), breaks of every sort, some outside 7 days."""
    conn = open_store(path)

    def moment(ago: timedelta) -> tuple[float, int]:
        return to_columns(NOW - ago)

    def bout(ago: timedelta, length: float) -> None:
        start, off = moment(ago)
        conn.execute(
            "INSERT INTO bouts (start_utc, start_offset, end_utc, end_offset, length_s) "
            "VALUES (?, ?, ?, ?, ?)",
            (start, off, start + length, off, length),
        )

    def brk(ago: timedelta, kind: str, outcome: str, shown: bool) -> None:
        due, off = moment(ago)
        first = (due, off) if shown else (None, None)
        conn.execute(
            "INSERT INTO breaks (kind, due_utc, due_offset, first_prompt_utc, first_prompt_offset,"
            " prompts, snoozes, outcome, outcome_utc, outcome_offset, latency_s, exercise) "
            "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, NULL, NULL)",
            (kind, due, off, *first, int(shown), outcome, due + 60, off),
        )

    conn.execute("BEGIN")
    bout(timedelta(days=10), 7200.0)
    bout(timedelta(hours=3), 2700.0)
    bout(timedelta(hours=2), 900.5)
    brk(timedelta(days=10), "movement", "ignored", True)  # outside the 7 days
    brk(timedelta(hours=3), "stretch", "taken", True)
    brk(timedelta(hours=2), "movement", "taken", True)
    brk(timedelta(hours=2), "stretch", "merged", False)  # never shown: not in the ratio
    brk(timedelta(hours=1), "movement", "skipped", True)
    brk(timedelta(hours=1), "stretch", "suppressed", False)
    conn.execute("COMMIT")
    conn.close()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = private_env(tmp_path)
    fill_store(Path(env["XDG_STATE_HOME"]) / "ergod" / "ergod.db")
    return env


def test_write_reports_the_store_in_prometheus_format(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "textfile" / "ergod.prom"
    target.parent.mkdir()
    config = Path(env["XDG_CONFIG_HOME"]) / "ergod" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'[metrics]\ntextfile = "{target}"\n')

    done = ergod(env, "metrics", "write")
    assert done.returncode == 0, done.stderr
    text = target.read_text()
    found = samples(text)
    assert found[("ergod_up", ())] == 0  # no daemon runs in this test
    assert found[("ergod_build_info", (("version", __version__),))] == 1
    prompts = {
        dict(labels)["kind"] + ":" + dict(labels)["outcome"]: value
        for (name, labels), value in found.items()
        if name == "ergod_prompts_total"
    }
    assert prompts["movement:ignored"] == 1 and prompts["movement:taken"] == 1
    assert prompts["stretch:suppressed"] == 1 and prompts["stretch:skipped"] == 0
    assert len(prompts) == 10  # every kind and outcome, zeros included
    assert found[("ergod_sitting_bouts_total", ())] == 3
    assert found[("ergod_longest_bout_seconds", ())] == 2700.0  # the 7200 s bout is older
    assert found[("ergod_adherence_ratio", ())] == pytest.approx(2 / 3)
    shown = {
        dict(labels)["kind"] + ":" + dict(labels)["outcome"]: value
        for (name, labels), value in found.items()
        if name == "ergod_breaks_shown_total" and value
    }
    # Every shown break ever (the 10-day-old one too); merged and suppressed were not shown.
    assert shown == {
        "movement:ignored": 1,
        "movement:taken": 1,
        "movement:skipped": 1,
        "stretch:taken": 1,
    }
    assert found[("ergod_schedule_only", ())] == 0

    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["ergod.prom"]  # no temp file left


def test_the_file_never_names_the_user_nor_times_activity(
    env: dict[str, str], tmp_path: Path
) -> None:
    done = ergod(env, "metrics", "write", "--output", "-")
    assert done.returncode == 0, done.stderr
    lowered = done.stdout.lower()
    for private in {getpass.getuser(), os.path.basename(os.path.expanduser("~")), str(tmp_path)}:
        assert private.lower() not in lowered
    assert str(NOW.year) not in done.stdout  # no dates or epoch times of activity
    assert str(int(NOW.timestamp()))[:5] not in done.stdout


def test_uid_in_the_path_gives_each_user_a_file(env: dict[str, str], tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    policy = Path(env["ERGOD_SYSTEM_DIR"]) / "policy.d"
    policy.mkdir(parents=True)
    (policy / "metrics.toml").write_text(f'[metrics]\ntextfile = "{shared}/{{uid}}.prom"\n')
    assert ergod(env, "metrics", "write").returncode == 0
    assert (shared / f"{os.getuid()}.prom").is_file()


def test_metrics_off_is_a_usage_error(tmp_path: Path) -> None:
    done = ergod(private_env(tmp_path), "metrics", "write")
    assert done.returncode == 2
    assert "metrics are off" in done.stderr


def test_collect_merges_users_and_leaves_out_what_ergod_did_not_write(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("creating files of several owners (users) needs root")
    shared = tmp_path / "shared"
    shared.mkdir()
    base = {(k, o): 0 for k in ("stretch", "movement") for o in ("taken", "ignored")}
    alice = Snapshot(
        1,
        {"0.1.0": 1},
        {**base, ("stretch", "taken"): 3},
        10,
        1800.0,
        0.5,
        shown={("stretch", "taken"): 2},
        schedule_only=1,
    )
    bob = Snapshot(0, {"0.2.0": 1}, {**base, ("stretch", "taken"): 4}, 5, 3600.0, 1.0)
    carol = Snapshot(1, {"0.1.0": 1}, base, 2, 60.0, None)
    for name, snap in (("1001", alice), ("1002", bob), ("1003", carol)):
        (shared / f"{name}.prom").write_text(render(snap))
        os.chown(shared / f"{name}.prom", int(name), int(name))
    (shared / "1004.prom").write_text('ergod_up{user="mallory"} 1\n')
    (shared / "1005.prom").write_text("node_cpu_seconds_total 5\n")
    (shared / "1006.prom").symlink_to("/etc/passwd")
    out = tmp_path / "host.prom"

    done = ergod({**os.environ}, "metrics", "collect", "--dir", str(shared), "--output", str(out))
    assert done.returncode == 0, done.stderr
    for bad in ("1004", "1005", "1006"):
        assert f"{bad}.prom" in done.stderr
    assert "mallory" not in out.read_text() and "root:" not in done.stderr
    found = samples(out.read_text())
    assert found[("ergod_up", ())] == 2
    assert found[("ergod_build_info", (("version", "0.1.0"),))] == 2
    assert found[("ergod_build_info", (("version", "0.2.0"),))] == 1
    key = ("ergod_prompts_total", (("kind", "stretch"), ("outcome", "taken")))
    assert found[key] == 7
    assert found[("ergod_sitting_bouts_total", ())] == 17
    assert found[("ergod_longest_bout_seconds", ())] == 3600.0
    assert found[("ergod_adherence_ratio", ())] == pytest.approx(0.75)
    assert found[("ergod_schedule_only", ())] == 1  # alice's
    shown = ("ergod_breaks_shown_total", (("kind", "stretch"), ("outcome", "taken")))
    assert found[shown] == 2


def test_a_stale_user_file_counts_as_not_up(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    old = shared / "1001.prom"
    old.write_text(render(Snapshot(1, {"0.1.0": 1}, {}, 4, 10.0, None)))
    hour_ago = old.stat().st_mtime - 3600
    os.utime(old, (hour_ago, hour_ago))
    done = ergod({**os.environ}, "metrics", "collect", "--dir", str(shared))
    found = samples(done.stdout)
    assert found[("ergod_up", ())] == 0
    assert found[("ergod_sitting_bouts_total", ())] == 4


def test_parse_reads_back_what_render_writes_and_refuses_the_rest() -> None:
    snap = merge(
        [
            Snapshot(
                1,
                {"0.1.0": 1},
                {("movement", "taken"): 2},
                3,
                12.5,
                0.25,
                shown={("movement", "taken"): 2},
                schedule_only=1,
            )
        ]
    )
    assert parse(render(snap)) == snap
    with pytest.raises(ValueError):
        parse(render(snap).replace('version="0.1.0"', 'version="0.1.0",host="x"'))
    with pytest.raises(ValueError):
        parse(render(snap).replace("ergod_sitting_bouts_total 3", "ergod_sitting_bouts_total -3"))


def test_one_owner_counts_once_however_many_files(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    older, newer = shared / "1001.prom", shared / "9999.prom"
    older.write_text(render(Snapshot(1, {"0.1.0": 1}, {}, 5, 10.0, None)))
    newer.write_text(render(Snapshot(1, {"0.1.0": 1}, {}, 7, 10.0, None)))
    earlier = older.stat().st_mtime - 10
    os.utime(older, (earlier, earlier))
    done = ergod({**os.environ}, "metrics", "collect", "--dir", str(shared))
    found = samples(done.stdout)
    assert found[("ergod_sitting_bouts_total", ())] == 7
    assert found[("ergod_up", ())] == 1
    assert "1001.prom: an older file of the same owner" in done.stderr


def test_the_daemons_refresher_logs_a_failure_once_and_the_recovery(tmp_path: Path) -> None:
    from ergod.config.compose import load
    from ergod.environment import Environment
    from ergod.fleet.metrics import TextfileRefresher

    env = Environment.from_os(private_env(tmp_path))
    target = tmp_path / "not-yet" / "ergod.prom"
    env.user_config_file.parent.mkdir(parents=True)
    env.user_config_file.write_text(f'[metrics]\ntextfile = "{target}"\n')
    config = load(env).config
    log = logging.getLogger("test_metrics.refresher")
    log.setLevel(logging.INFO)
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    log.addHandler(handler)
    refresher = TextfileRefresher(env, log)

    assert refresher.refresh(config) is None
    assert refresher.refresh(config) is None
    assert [r.levelno for r in records] == [logging.WARNING]
    assert str(target.parent) in records[0].getMessage()

    target.parent.mkdir()
    assert refresher.refresh(config, up=False) == target
    assert "again" in records[-1].getMessage()
    assert samples(target.read_text())[("ergod_up", ())] == 0


# The whole label set ergod may put in front of a fleet: metric name -> label names.
# Nothing here may name a user, a host or a moment; `version` is ergod's own.
LABELS = {
    "ergod_up": set(),
    "ergod_schedule_only": set(),
    "ergod_build_info": {"version"},
    "ergod_prompts_total": {"kind", "outcome"},
    "ergod_breaks_shown_total": {"kind", "outcome"},
    "ergod_sitting_bouts_total": set(),
    "ergod_longest_bout_seconds": set(),
    "ergod_adherence_ratio": set(),
}


def test_the_label_set_is_fixed(env: dict[str, str]) -> None:
    """Every metric and label in a real file; label values from ergod's own vocabulary."""
    from ergod.core.model import Outcome
    from ergod.core.rules import Kind

    done = ergod(env, "metrics", "write", "--output", "-")
    assert done.returncode == 0, done.stderr
    found: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(done.stdout):
        for sample in family.samples:
            found.setdefault(sample.name, set()).update(sample.labels)
            values = dict(sample.labels)
            assert values.get("kind", "stretch") in {k.value for k in Kind}
            assert values.get("outcome", "taken") in {o.value for o in Outcome}
            assert values.get("version", __version__) == __version__
    assert found == LABELS


def test_a_daemon_in_schedule_only_mode_says_so(tmp_path: Path) -> None:
    """No display here: the daemon runs in schedule-only mode; its own file and
    `ergod metrics write` both count it, and its last file (stopped) does not."""
    import subprocess
    import time

    from servers import stop_process
    from test_service_support import ERGOD, wait_for_daemon

    env = private_env(tmp_path)
    target = tmp_path / "ergod.prom"
    config = Path(env["XDG_CONFIG_HOME"]) / "ergod" / "config.toml"
    config.parent.mkdir()
    config.write_text(f'[metrics]\ntextfile = "{target}"\n')
    proc = subprocess.Popen(
        [str(ERGOD), "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_daemon(env, proc)
        deadline = time.monotonic() + 30
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        own = samples(target.read_text())
        done = ergod(env, "metrics", "write", "--output", "-")
    finally:
        stop_process(proc)
    assert (own[("ergod_up", ())], own[("ergod_schedule_only", ())]) == (1, 1)
    assert done.returncode == 0, done.stderr
    found = samples(done.stdout)
    assert (found[("ergod_up", ())], found[("ergod_schedule_only", ())]) == (1, 1)
    last = samples(target.read_text())
    assert (last[("ergod_up", ())], last[("ergod_schedule_only", ())]) == (0, 0)
