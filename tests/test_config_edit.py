"""`config set` / `unset`: comments kept, bad edits refused with the file untouched, reload."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from config_support import World

from ergod.config import ConfigError, load_config
from ergod.config.edit import set_value, unset_value

COMMENTED = """\
# My ergod settings. Keep this comment.
[breaks.stretch]
every = "25m"   # a bit less often
# grace stays default

[schedule]
days = "mon-fri"
"""


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World.make(tmp_path)


# (key, value as typed on a command line, the line expected in the file, typed value)
SET_CASES = [
    ("breaks.stretch.every", "30m", 'every = "30m"   # a bit less often', 1800.0),
    ("breaks.stretch.max_prompts", "3", "max_prompts = 3", 3),
    ("breaks.movement.enabled", "false", "enabled = false", False),
    ("quiet.processes", '["zoom", "meet"]', 'processes = ["zoom", "meet"]', ("zoom", "meet")),
    ("schedule.start", "08:30", 'start = "08:30"', 510),
    ("store.path", "123", 'path = "123"', "123"),
    ("summary.notify", "", 'notify = ""', None),
    ("breaks.stretch.every", "900", "every = 900   # a bit less often", 900.0),
]


@pytest.mark.parametrize(("key", "text", "line", "value"), SET_CASES)
def test_set_keeps_comments_and_layout(
    world: World, key: str, text: str, line: str, value: object
) -> None:
    world.write("config/ergod/config.toml", COMMENTED)
    result = set_value(world.env, key, text)
    assert result.changed and result.path == world.user_file
    written = world.user_file.read_text(encoding="utf-8")
    assert line in written.splitlines()
    for kept in ("# My ergod settings. Keep this comment.", "# grace stays default"):
        assert kept in written
    assert load_config(world.env).values[key] == value


def test_set_then_unset_round_trips_to_the_original_text(world: World) -> None:
    world.write("config/ergod/config.toml", COMMENTED)
    set_value(world.env, "breaks.stretch.grace", "3m")
    set_value(world.env, "breaks.movement.every", "40m")
    assert "[breaks.movement]" in world.user_file.read_text(encoding="utf-8")
    unset_value(world.env, "breaks.movement.every")
    unset_value(world.env, "breaks.stretch.grace")
    assert world.user_file.read_text(encoding="utf-8") == COMMENTED


def test_unset_removes_the_key_and_lower_layers_decide_again(world: World) -> None:
    world.write("config/ergod/config.toml", COMMENTED)
    result = unset_value(world.env, "breaks.stretch.every")
    assert result.changed
    text = world.user_file.read_text(encoding="utf-8")
    assert "every" not in text and "# My ergod settings" in text
    assert load_config(world.env).values["breaks.stretch.every"] == 1200.0
    again = unset_value(world.env, "breaks.stretch.every")
    assert not again.changed


def test_set_creates_the_file_and_directory(world: World) -> None:
    assert not world.user_file.parent.exists()
    set_value(world.env, "sitting.break_after", "4m")
    assert world.user_file.read_text(encoding="utf-8") == '[sitting]\nbreak_after = "4m"\n'
    assert not list(world.user_file.parent.glob(".*tmp"))  # no temporary file left


def test_set_keeps_the_file_mode(world: World) -> None:
    path = world.write("config/ergod/config.toml", COMMENTED)
    path.chmod(0o600)
    set_value(world.env, "sitting.break_after", "4m")
    assert path.stat().st_mode & 0o777 == 0o600


POLICY = """\
[breaks.movement]
enabled = true
[bounds]
"breaks.movement.every" = ["20m", "45m"]
"""

# (key, value, the message lines expected; {u} the user file, {p} the policy file)
REFUSED = [
    (
        "breaks.stretch.every",
        "soon",
        [
            "not changed: {u}",
            '{u}: breaks.stretch.every: expected a duration like "20m", "90s", "1h30m", "400d" '
            'or seconds, found "soon"',
        ],
    ),
    (
        "breaks.stretch.evry",
        "25m",
        [
            "not changed: {u}",
            "{u}: breaks.stretch.evry: expected a known key, found an unknown key; "
            'did you mean "breaks.stretch.every"?',
        ],
    ),
    (
        "breaks.movement.enabled",
        "false",
        [
            "not changed: breaks.movement.enabled is locked by policy {p} (value true)",
            "{u}: breaks.movement.enabled: expected a key that policy does not lock, "
            "found a locked key",
        ],
    ),
    (
        "breaks.movement.every",
        "2h",
        [
            "not changed: {u}",
            '{u}: breaks.movement.every: expected a value within ["20m", "45m"] '
            '(bounds set by policy {p}), found "2h"',
        ],
    ),
    (
        "breaks.stretch.duration",
        "30m",
        [
            "not changed: {u}: the result would not be valid",
            '{u}:5:1: breaks.stretch.duration: expected less than breaks.stretch.every ("25m"), '
            'found "30m"',
        ],
    ),
    (
        "exercises.custom",
        "[]",
        [
            "not changed: {u}",
            "{u}: exercises.custom: expected a key set from the command line, "
            "found tables; edit the file for [[exercises.custom]]",
        ],
    ),
]


@pytest.mark.parametrize(("key", "text", "expected"), REFUSED)
def test_bad_edits_are_refused_and_the_file_is_untouched(
    world: World, key: str, text: str, expected: list[str]
) -> None:
    policy = world.write("etc/policy.d/10-it.toml", POLICY)
    world.write("config/ergod/config.toml", COMMENTED)
    before = world.snapshot()
    with pytest.raises(ConfigError) as caught:
        set_value(world.env, key, text)
    assert caught.value.exit_code == 2
    u = world.user_file
    assert caught.value.message.splitlines() == [e.format(u=u, p=policy) for e in expected]
    assert world.snapshot() == before


def test_an_unreadable_toml_file_is_not_edited(world: World) -> None:
    world.write("config/ergod/config.toml", "[sitting\n")
    before = world.snapshot()
    with pytest.raises(ConfigError, match="not valid TOML"):
        set_value(world.env, "sitting.break_after", "4m")
    assert world.snapshot() == before


def test_unset_of_an_unknown_key_is_refused(world: World) -> None:
    with pytest.raises(ConfigError, match=re.escape('did you mean "sitting.break_after"')):
        unset_value(world.env, "sitting.brake_after")
    assert not world.user_file.exists()


def test_unset_of_a_locked_key_is_allowed(world: World) -> None:
    world.write("etc/policy.d/10-it.toml", POLICY)
    world.write("config/ergod/config.toml", "[breaks.movement]\nenabled = false\n")
    assert unset_value(world.env, "breaks.movement.enabled").changed
    assert load_config(world.env).warnings == []


def test_problems_elsewhere_do_not_block_an_unrelated_edit(world: World) -> None:
    world.write("etc/config.toml", "[sitting]\nbrake_after = '4m'\n")
    assert set_value(world.env, "sitting.daily_limit", "0").changed


# --- telling a running daemon -------------------------------------------------------

_FAKE_DAEMON = textwrap.dedent(
    """
    import signal, sys, time, pathlib
    out = pathlib.Path(sys.argv[1])
    signal.signal(signal.SIGHUP, lambda *_: (out.write_text("reload"), sys.exit(0)))
    out.with_suffix(".ready").write_text("ready")
    time.sleep(30)
    """
)


def _start(argv: list[str], ready: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(argv)
    deadline = time.monotonic() + 10
    while not ready.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            pytest.fail("the stand-in process did not start")
        time.sleep(0.01)
    return process


def test_a_stale_lock_file_gets_no_process_a_signal(world: World) -> None:
    # Before (issue 17, item 14): `config set` sent SIGHUP to the PID in the lock
    # file when that process's command line held "ergod", lock held or not.
    out = world.root / "hup.txt"
    stand_in = _start(
        [sys.executable, "-c", _FAKE_DAEMON, str(out), "ergod-daemon"], out.with_suffix(".ready")
    )
    try:
        world.env.lock_file.parent.mkdir(parents=True, mode=0o700)
        world.env.lock_file.write_text(f"{stand_in.pid}\n", encoding="ascii")
        result = set_value(world.env, "sitting.break_after", "4m")
        assert result.changed and result.reloaded is None
        with pytest.raises(subprocess.TimeoutExpired):
            stand_in.wait(timeout=1)  # a SIGHUP would have ended it at once
        assert not out.exists()
    finally:
        stand_in.kill()
        stand_in.wait()
