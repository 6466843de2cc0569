"""config/examples/call-day.csv: a desk day with a two-hour call (spec section 6).

The file is `call_day(7)` under a comment header. Through `ergod simulate --json`
with the built-in defaults it must show one bout through the call, no prompt in
it, and a movement prompt `catch_up` (2 min) after it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from engine_support import full_run, run_idle_first

from ergod.core import Rules
from ergod.replay.trace import read_trace
from ergod.replay.workday import call_day

EXAMPLE = Path(__file__).parents[1] / "config" / "examples" / "call-day.csv"
ERGOD = Path(sys.executable).with_name("ergod")
CALL, HANG_UP = 10 * 3600.0, 12 * 3600.0


def test_the_example_is_the_generated_day() -> None:
    assert [(e.t, e.kind) for e in read_trace(EXAMPLE)] == call_day(7)


def simulate_json(tmp_path: Path, installed: bool) -> dict[str, Any]:
    """`ergod simulate --trace call-day.csv --json` with no user or system layer."""
    argv = ["simulate", "--trace", str(EXAMPLE), "--json"]
    env = {
        **os.environ,
        "ERGOD_SYSTEM_DIR": str(tmp_path / "etc"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    if installed:
        done = subprocess.run(
            [str(ERGOD), *argv], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        out = done.stdout
    else:
        import contextlib
        import io

        from ergod.cli import main

        buffer = io.StringIO()
        with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(buffer):
            for name in ("ERGOD_SYSTEM_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
                mp.setenv(name, env[name])
            assert main(argv) == 0
        out = buffer.getvalue()
    result: dict[str, Any] = json.loads(out)
    return result


@pytest.mark.parametrize("installed", [False, pytest.param(True, marks=pytest.mark.e2e)])
def test_one_bout_through_the_call_and_movement_two_minutes_after(
    tmp_path: Path, installed: bool
) -> None:
    got = simulate_json(tmp_path, installed)
    through = [b for b in got["bouts"] if b["start"] <= HANG_UP and b["end"] >= CALL]
    assert len(through) == 1
    assert through[0]["start"] < CALL and through[0]["end"] > HANG_UP + 120
    reminders = got["reminders"]
    in_call = [r for r in reminders if r["outcome_at"] and CALL < r["outcome_at"] < HANG_UP]
    assert {r["kind"] for r in in_call} == {"movement", "stretch"}
    assert all(r["outcome"] == "suppressed" for r in in_call)
    assert not [r for r in reminders if r["first_prompt"] and CALL < r["first_prompt"] < HANG_UP]
    after = [r for r in reminders if r["due"] >= HANG_UP]
    movement, stretch = after[0], after[1]
    assert (movement["kind"], movement["due"], movement["first_prompt"]) == (
        "movement",
        HANG_UP + 120,
        HANG_UP + 120,
    )
    assert (stretch["kind"], stretch["due"], stretch["outcome"]) == (
        "stretch",
        HANG_UP + 120,
        "merged",
    )


def test_the_daemons_idle_first_path_sees_the_same_day() -> None:
    pairs = call_day(7)
    lean = run_idle_first(pairs, Rules()).result
    full = full_run(pairs, Rules())
    assert (lean.bouts, lean.reminders) == (full.bouts, full.reminders)
