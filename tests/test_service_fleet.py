"""Fleet deployment as docs/deployment.md describes it, on real layer files.

IT's defaults in config.d, a lock and a bound in policy.d, a user who tries
to change the locked key by `ergod config set` and by editing their file: the
policy value stands, `config show --origin` names the policy file, and the
doctor tells the help desk about the user's overridden line.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from servers import stop_process
from test_service_support import ERGOD, ergod, private_env, wait_for_daemon

POLICY = """\
# /etc/ergod/policy.d/50-hse.toml: health and safety's minimum
[breaks.movement]
every = "45m"

[bounds]
"breaks.stretch.every" = ["15m", "30m"]
"""

SITE = """\
# /etc/ergod/config.d/10-site.toml: site defaults users may change
[notify]
timeout = "40s"
"""


@pytest.fixture
def fleet(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    env = private_env(tmp_path)
    system = Path(env["ERGOD_SYSTEM_DIR"])
    (system / "policy.d").mkdir(parents=True)
    (system / "config.d").mkdir()
    policy = system / "policy.d" / "50-hse.toml"
    policy.write_text(POLICY)
    (system / "config.d" / "10-site.toml").write_text(SITE)
    user = Path(env["XDG_CONFIG_HOME"]) / "ergod" / "config.toml"
    user.parent.mkdir()
    user.write_text('[notify]\ntimeout = "10s"\n')
    return env, policy, user


def effective(env: dict[str, str]) -> dict[str, object]:
    done = ergod(env, "config", "show", "--origin", "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def test_config_set_cannot_change_a_locked_key(fleet: tuple[dict[str, str], Path, Path]) -> None:
    env, policy, user = fleet
    before = user.read_text()
    done = ergod(env, "config", "set", "breaks.movement.every", "90m")
    assert done.returncode == 2
    assert str(policy) in done.stderr and "locked" in done.stderr
    assert user.read_text() == before


def test_the_users_file_cannot_change_a_locked_key(
    fleet: tuple[dict[str, str], Path, Path],
) -> None:
    env, policy, user = fleet
    user.write_text('[notify]\ntimeout = "10s"\n\n[breaks.movement]\nevery = "90m"\n')
    data = effective(env)
    config, origins = data["config"], data["origins"]
    assert isinstance(config, dict) and isinstance(origins, dict)
    assert config["breaks"]["movement"]["every"] == 45 * 60
    origin = origins["breaks.movement.every"]
    assert origin["layer"] == "policy" and origin["locked"] is True
    assert origin["file"] == str(policy)
    # The user's own change of an unlocked key stands over the site default.
    assert config["notify"]["timeout"] == 10
    assert origins["notify.timeout"]["layer"] == "user"

    text = ergod(env, "config", "show", "--origin")
    line = next(x for x in text.stdout.splitlines() if x.startswith("breaks.movement.every"))
    assert '"45m"' in line and "(locked)" in line and str(policy) in line

    doctor = json.loads(ergod(env, "doctor", "--json").stdout)
    config_check = next(c for c in doctor["checks"] if c["name"] == "config")
    assert config_check["status"] == "note"
    assert any("locked by policy" in d and str(user) in d for d in config_check["details"])


def test_a_value_outside_a_policy_bound_is_refused_by_set_and_dropped_from_the_file(
    fleet: tuple[dict[str, str], Path, Path],
) -> None:
    env, policy, user = fleet
    done = ergod(env, "config", "set", "breaks.stretch.every", "1h")
    assert done.returncode == 2 and str(policy) in done.stderr
    user.write_text('[breaks.stretch]\nevery = "5m"\n')
    # In the file, the value is dropped with a warning like a locked key's (issue 17, item 2).
    check = ergod(env, "config", "check")
    assert check.returncode == 0, check.stdout
    assert f"{user}:2:1: breaks.stretch.every: warning: outside" in check.stdout
    assert str(policy) in check.stdout


def test_two_login_routes_run_one_daemon(fleet: tuple[dict[str, str], Path, Path]) -> None:
    """systemd and XDG autostart both starting ergod: the second stops at the lock."""
    env, _, _ = fleet
    first = subprocess.Popen(
        [str(ERGOD), "run"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for_daemon(env, first)
        second = ergod(env, "run", timeout=20)
        assert second.returncode == 1
        assert f"already running (pid {first.pid})" in second.stderr
        assert first.poll() is None
    finally:
        stop_process(first)
