"""`ergod config ...` as a user runs it: the installed command, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from config_support import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World.make(tmp_path)


def ergod(world: World, *argv: str | Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "ergod"
    if not exe.exists():
        pytest.fail(f"no `ergod` entry point next to {sys.executable}: run `pip install -e .`")
    result = subprocess.run(
        [str(exe), *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **world.env.environ},
        cwd=world.root,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_check_reports_type_error_unknown_key_and_out_of_range_value(world: World) -> None:
    bad = world.write(
        "bad.toml",
        """\
        [breaks.stretch]
        every = true
        evrey = "25m"
        max_prompts = 0
        """,
    )
    result = ergod(world, "config", "check", bad)
    assert result.returncode == 2
    assert result.stdout.splitlines() == [
        f'{bad}:2:1: breaks.stretch.every: expected a duration like "20m", "90s", "1h30m", '
        '"400d" or seconds, found true',
        f"{bad}:3:1: breaks.stretch.evrey: expected a known key, found an unknown key; "
        'did you mean "breaks.stretch.every"?',
        f"{bad}:4:1: breaks.stretch.max_prompts: expected a whole number of at least 1, found 0",
    ]
    assert result.stderr == "ergod: 3 problems found\n"


def test_check_clean_exits_zero_and_covers_all_layers(world: World) -> None:
    world.write("etc/config.toml", "[sitting]\nbreak_after = '4m'\n")
    result = ergod(world, "config", "check")
    assert (result.returncode, result.stdout) == (0, "ok: 2 files checked\n")
    world.write("etc/policy.d/a.toml", "[bounds]\n'sitting.break_after' = ['1m', '3m']\n")
    result = ergod(world, "config", "check")
    assert result.returncode == 2
    assert "sitting.break_after: expected a value within" in result.stdout


def test_show_origin_names_the_policy_file_of_a_locked_key(world: World) -> None:
    policy = world.write("etc/policy.d/10-it.toml", "[breaks.movement]\nevery = '40m'\n")
    user = world.write("config/ergod/config.toml", "[breaks.movement]\nevery = '1h'\n")
    result = ergod(world, "config", "show", "--origin")
    assert result.returncode == 0, result.stderr
    lines = {line.split(" = ")[0]: line for line in result.stdout.splitlines()}
    assert lines["breaks.movement.every"].split("  # ") == [
        'breaks.movement.every = "40m"'.ljust(len(lines["breaks.movement.every"].split("  # ")[0])),
        f"policy {policy}:2 (locked)",
    ]
    assert lines["sitting.break_after"].endswith("# built-in")
    assert result.stderr == (
        f"ergod: {user}:2:1: breaks.movement.every: warning: locked by policy {policy}; "
        'the policy value "40m" stands\n'
    )


def test_show_plain_and_json(world: World) -> None:
    extra = world.write("extra.toml", "[breaks.stretch]\nevery = '90s'\nduration = '10s'\n")
    plain = ergod(world, "config", "show", "--config", extra)
    assert 'breaks.stretch.every = "1m30s"' in plain.stdout.splitlines()
    assert 'schedule.days = "mon-sun"' in plain.stdout.splitlines()
    shown = json.loads(ergod(world, "config", "show", "--json", "--config", extra).stdout)
    assert shown["breaks"]["stretch"]["every"] == 90.0
    assert shown["schedule"] == {
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "start": "00:00",
        "end": "24:00",
    }
    both = json.loads(
        ergod(world, "config", "show", "--json", "--origin", "--config", extra).stdout
    )
    assert both["origins"]["breaks.stretch.every"] == {
        "layer": "command-line",
        "file": str(extra),
        "line": 2,
        "locked": False,
    }


def test_show_with_a_broken_config_exits_2_with_the_problems(world: World) -> None:
    user = world.write("config/ergod/config.toml", "[sitting]\nbreak_after = 'soon'\n")
    result = ergod(world, "config", "show")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[0] == "ergod: configuration has 1 problem:"
    assert result.stderr.splitlines()[1].startswith(f"{user}:2:1: sitting.break_after: expected")


def test_paths_lists_each_layer_and_what_exists(world: World) -> None:
    world.write("etc/config.d/50-site.toml", "")
    world.write("config/ergod/config.toml", "")
    result = ergod(world, "config", "paths")
    assert result.returncode == 0
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0][0] == "built-in" and rows[0][1].endswith("ergod/data/default.toml")
    assert ["system", str(world.env.system_config_file), "(missing)"] in rows
    assert ["system", str(world.env.system_config_dir / "50-site.toml"), "(exists)"] in rows
    assert ["user", str(world.user_file), "(exists)"] in rows
    assert ["policy", f"{world.env.policy_dir}/*.toml", "(no", "files)"] in rows
    assert [row[0] for row in rows] == [
        "built-in",
        "system",
        "system",
        "user",
        "command-line",
        "policy",
    ]


def test_set_and_unset(world: World) -> None:
    world.write("config/ergod/config.toml", "# mine\n[sitting]\nbreak_after = '4m' # why\n")
    result = ergod(world, "config", "set", "breaks.stretch.every", "25m")
    assert (result.returncode, result.stdout) == (
        0,
        f"set breaks.stretch.every in {world.user_file}\n",
    )
    result = ergod(world, "config", "unset", "sitting.break_after")
    assert result.returncode == 0
    assert world.user_file.read_text(encoding="utf-8") == (
        '# mine\n[breaks.stretch]\nevery = "25m"\n'
    )


def test_set_refusals_exit_2_and_leave_the_file(world: World) -> None:
    policy = world.write("etc/policy.d/10-it.toml", "[breaks.movement]\nenabled = true\n")
    world.write("config/ergod/config.toml", "# mine\n")
    before = world.snapshot()
    locked = ergod(world, "config", "set", "breaks.movement.enabled", "false")
    assert locked.returncode == 2
    assert f"locked by policy {policy}" in locked.stderr.splitlines()[0]
    bad = ergod(world, "config", "set", "breaks.stretch.every", "soon")
    assert bad.returncode == 2 and 'found "soon"' in bad.stderr
    usage = ergod(world, "config", "set", "breaks.stretch.every")
    assert usage.returncode == 2 and "usage:" in usage.stderr
    assert world.snapshot() == before


@pytest.mark.e2e
def test_set_makes_a_running_daemon_reload(world: World) -> None:
    ergod(world, "config", "set", "activity.source", "none")
    ergod(world, "config", "set", "notify.backend", "console")
    log = world.root / "daemon.log"
    exe = Path(sys.executable).parent / "ergod"
    env = {**os.environ, **world.env.environ}
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    world.env.runtime_dir.mkdir(mode=0o700, parents=True)
    with log.open("w") as out:
        daemon = subprocess.Popen(
            [str(exe), "run"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            stdin=subprocess.DEVNULL,
        )
    try:
        deadline = time.monotonic() + 20
        while "running (pid" not in log.read_text() and daemon.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        assert daemon.poll() is None, log.read_text()
        result = ergod(world, "config", "set", "breaks.stretch.every", "25m")
        assert result.returncode == 0
        # Through the control socket (issue 17, item 14), not a signal to a PID.
        assert result.stdout.splitlines()[-1] == "running daemon: configuration reloaded"
        while "configuration reloaded" not in log.read_text():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)
