"""A stop with a break open, through the installed `ergod run` (issue 11 part 6).

The daemon runs in schedule-only mode (`source = "none"`: breaks fall due by
the clock) with the console notifier; once `ergod status` shows a stretch
break open, SIGTERM stops it. The break must be in the store, and `ergod
summary --format json` must count it as pending (docs/summary.md).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from daemon_support import ERGOD, Daemon, private_env, status, wait_for

pytestmark = pytest.mark.e2e

# A stretch break every 2 s whose prompt stays open for a minute.
CONFIG = (
    '[activity]\nsource = "none"\n\n[breaks.stretch]\nevery = "2s"\nduration = "1s"\n'
    'grace = "60s"\nrepeat = "60s"\n\n[breaks.movement]\nenabled = false\n\n'
    '[notify]\nbackend = "console"\n'
)


def test_a_stop_with_an_open_break_leaves_it_pending_in_the_summary(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    config = tmp_path / "ergod.toml"
    config.write_text(CONFIG)
    with Daemon(env, "--config", str(config)) as daemon:
        opened = wait_for(
            lambda: (status(env) or {}).get("open_break"), 30, "an open stretch break"
        )
        assert opened["kind"] == "stretch"
        assert daemon.stop() == 0
    summary = subprocess.run(
        [str(ERGOD), "summary", "--format", "json", "--config", str(config)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    stretch = json.loads(summary.stdout)["breaks"]["stretch"]
    assert stretch["pending"] == 1, stretch
    assert stretch["shown"] >= 1 and stretch["taken"] == 0
