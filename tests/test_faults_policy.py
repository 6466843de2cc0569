"""Policy, forgiving and honest (issue 17, item 2).

* A user's value outside a policy bound, and a typo in the user's own file,
  no longer stop `ergod run` (exit 2, restarted by systemd, no reminders at
  all): the daemon drops what is wrong with a file:line warning and runs;
  `ergod config check` still reports it (exit 2); system files stay strict.
* `ERGOD_SYSTEM_DIR` moves the policy root only where that cannot weaken
  policy, and doctor and status say when it is set.
* `[quiet] max_pause` bounds `ergod pause`.
* docs/deployment.md says what policy is and is not.

The daemon is the installed `ergod run`, headless (schedule-only, console).
"""

from __future__ import annotations

import json
import re
import socket
import tempfile
from pathlib import Path

import pytest
from daemon_support import Daemon, ergod, private_env, status, wait_for

from ergod.cli.control import render_status
from ergod.config import KEYS
from ergod.config.layers import evaluate
from ergod.core.quiet import PauseGrant, bounded_pause
from ergod.durations import human_duration
from ergod.environment import DEFAULT_SYSTEM_DIR, Environment, system_dir_allowed

REPO = Path(__file__).resolve().parents[1]


def _user_file(env: dict[str, str], text: str) -> Path:
    path = Path(env["XDG_CONFIG_HOME"]) / "ergod" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _system_file(env: dict[str, str], relative: str, text: str) -> Path:
    path = Path(env["ERGOD_SYSTEM_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _next_stretch_within(env: dict[str, str], seconds: float) -> bool:
    now = status(env)
    return bool(now and now["next"]["kind"] == "stretch" and now["next"]["in_seconds"] <= seconds)


# ---- the daemon keeps running -----------------------------------------------------


def test_a_users_value_outside_a_bound_is_dropped_and_the_daemon_runs(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    policy = _system_file(
        env, "policy.d/10-it.toml", '[bounds]\n"breaks.stretch.every" = ["10m", "15m"]\n'
    )
    user = _user_file(env, '[breaks.stretch]\nevery = "1h"\n')
    with Daemon(env) as daemon:
        # Before: exit 2 at once ("expected a value within ...").
        wait_for(lambda: status(env), 15, "the control socket")
        # The built-in 20m, moved into the bounds: 15m.
        assert _next_stretch_within(env, 900)
        assert daemon.stop() == 0
    assert (
        f'{user}:2:1: breaks.stretch.every: warning: outside ["10m", "15m"], the bounds set '
        f'by policy {policy}; "15m" stands'
    ) in daemon.output


TYPOS = """\
[breaks.stretch]
every = "7m"
evry = "5m"

[sitting]
break_after = "soon"
"""


def test_a_typo_in_the_users_file_is_dropped_and_the_rest_applies(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    user = _user_file(env, TYPOS)
    checked = ergod(env, "config", "check")
    assert checked.returncode == 2  # config check stays strict
    problems = checked.stdout.splitlines()
    assert [p.split(": expected")[0] for p in problems] == [
        f"{user}:3:1: breaks.stretch.evry",
        f"{user}:6:1: sitting.break_after",
    ]
    with Daemon(env) as daemon:
        # Before: exit 2 with the same two problems, so no reminders at all.
        wait_for(lambda: status(env), 15, "the control socket")
        assert _next_stretch_within(env, 420)  # every = "7m" applies
        assert daemon.stop() == 0
    for problem in problems:
        assert problem.replace(": expected", ": warning: expected") + "; ignored" in daemon.output


def test_a_users_file_that_is_not_toml_is_dropped_whole(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    user = _user_file(env, '[breaks.stretch\nevery = "7m"\n')
    with Daemon(env) as daemon:
        wait_for(lambda: status(env), 15, "the control socket")
        assert not _next_stretch_within(env, 420)  # the defaults: 20m
        assert daemon.stop() == 0
    assert f"{user}:1:16: warning: expected valid TOML" in daemon.output
    assert "the whole file is ignored" in daemon.output


def test_a_system_files_problem_still_refuses_to_start(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    site = _system_file(env, "config.d/10-site.toml", '[sitting]\nbreak_after = "soon"\n')
    done = ergod(env, "run")
    assert done.returncode == 2
    assert f"{site}:2:1: sitting.break_after: expected" in done.stderr


def test_a_reload_takes_a_broken_users_file_and_refuses_a_broken_system_file(
    tmp_path: Path,
) -> None:
    env = private_env(tmp_path)
    user = _user_file(env, '[breaks.stretch]\nevery = "25m"\n')
    with Daemon(env) as daemon:
        first = wait_for(lambda: status(env), 15, "the control socket")
        user.write_text(TYPOS)
        assert ergod(env, "reload").returncode == 0
        assert _next_stretch_within(env, 420)
        site = _system_file(env, "config.d/10-site.toml", "[sitting]\nbreak_after = 'x'\n")
        refused = ergod(env, "reload")
        assert refused.returncode == 1 and f"{site}:2:1: sitting.break_after" in refused.stderr
        assert (status(env) or {}).get("pid") == first["pid"]
        assert daemon.stop() == 0


EXERCISE = "[[exercises.custom]]\nid = 'x'\nname = 'X'\nfocus = 'neck'\nsteps = ['a']\n"
FORGIVEN = [
    # (what, user file, key that must come from below, warning fragment)
    (
        "a rule between keys",
        "[breaks.stretch]\nduration = '30m'\n",
        "breaks.stretch.duration",
        "less than breaks.stretch.every",
    ),
    (
        "an unknown table",
        "[brakes]\nevery = '5m'\n[sitting]\nbreak_after = '4m'\n",
        None,
        "brakes: warning",
    ),
    (
        "a bad exercise field",
        EXERCISE + "seconds = -1\n",
        "exercises.custom",
        "exercises.custom[0].seconds",
    ),
    (
        "a value where a table belongs",
        "sitting = 3\n",
        "sitting.break_after",
        "sitting: warning: expected a table",
    ),
    (
        "nesting too deep",
        "x = " + "[" * 100 + "]" * 100 + "\n",
        None,
        "the whole file is ignored",
    ),
]


@pytest.mark.parametrize(("what", "text", "key", "warning"), FORGIVEN, ids=[f[0] for f in FORGIVEN])
def test_the_daemons_reading_drops_each_kind_of_mistake(
    tmp_path: Path, what: str, text: str, key: str | None, warning: str
) -> None:
    env = Environment.from_os(private_env(tmp_path))
    env.user_config_file.parent.mkdir(parents=True)
    env.user_config_file.write_text(text)
    assert evaluate(env).problems  # strict: a problem
    forgiven = evaluate(env, forgiving=True)
    assert forgiven.problems == []
    (tmp_path / "clean").mkdir()
    builtin = evaluate(Environment.from_os(private_env(tmp_path / "clean"))).values
    if key is not None:
        assert forgiven.values[key] == builtin[key]
    assert any(warning in w and str(env.user_config_file) in w for w in forgiven.warnings), (
        forgiven.warnings
    )


def test_the_users_file_given_again_with_config_stays_strict_there(tmp_path: Path) -> None:
    env = Environment.from_os(private_env(tmp_path))
    env.user_config_file.parent.mkdir(parents=True)
    env.user_config_file.write_text("[sitting]\nbreak_after = 'soon'\n")
    # Terminates, and the --config copy's problem is still a problem.
    forgiven = evaluate(env, [env.user_config_file], forgiving=True)
    assert [p.key for p in forgiven.problems] == ["sitting.break_after"]


# ---- ERGOD_SYSTEM_DIR -------------------------------------------------------------


def test_the_system_dir_moves_only_where_it_cannot_weaken_policy(tmp_path: Path) -> None:
    default = tmp_path / "etc-ergod"
    (default / "policy.d").mkdir(parents=True)
    assert system_dir_allowed(1000, default)  # no policy there: nothing to weaken
    (default / "policy.d" / "10-it.toml").write_text("[breaks.movement]\nenabled = true\n")
    # Before: any user could point ERGOD_SYSTEM_DIR at a directory without policy.
    assert not system_dir_allowed(1000, default)
    assert system_dir_allowed(0, default)  # root may change /etc/ergod anyway


def test_config_check_honours_it_whatever_policy_says(tmp_path: Path) -> None:
    staging = tmp_path / "staging"
    env = Environment.from_os({"ERGOD_SYSTEM_DIR": str(staging)}, any_system_dir=True)
    assert env.system_dir == staging
    ignored = Environment(
        DEFAULT_SYSTEM_DIR, tmp_path, tmp_path, tmp_path, tmp_path, {}, requested_system_dir=staging
    )
    note = ignored.system_dir_note()
    assert note is not None and f"ERGOD_SYSTEM_DIR={staging} is ignored" in note


def test_only_config_check_honours_it_where_policy_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ergod.environment
    from ergod.cli import main

    env = private_env(tmp_path)
    staged = _system_file(env, "config.d/10-site.toml", "[sitting]\nbreak_after = 'soon'\n")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # As for a user while /etc/ergod/policy.d holds policy:
    monkeypatch.setattr(ergod.environment, "system_dir_allowed", lambda *args: False)
    assert main(["config", "check"]) == 2
    assert f"{staged}:2:1: sitting.break_after" in capsys.readouterr().out
    assert main(["config", "show"]) == 0  # /etc/ergod instead, and a warning says so
    assert f"ERGOD_SYSTEM_DIR={env['ERGOD_SYSTEM_DIR']} is ignored" in capsys.readouterr().err


def test_doctor_says_it_is_set(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    report = json.loads(ergod(env, "doctor", "--json").stdout)
    config = next(c for c in report["checks"] if c["name"] == "config")
    assert config["details"][0] == (
        f"ERGOD_SYSTEM_DIR is set: system configuration and policy come from "
        f"{env['ERGOD_SYSTEM_DIR']}"
    )


def test_status_shows_the_system_dir_when_the_daemon_reports_it() -> None:
    lines = render_status({"pid": 1, "system_dir": "ERGOD_SYSTEM_DIR is set: ..."}, now=None)  # type: ignore[arg-type]
    assert "system config: ERGOD_SYSTEM_DIR is set: ..." in lines


def test_the_daemons_status_reports_the_system_dir(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    with Daemon(env) as daemon:
        now = wait_for(lambda: status(env), 15, "the control socket")
        assert daemon.stop() == 0
    assert env["ERGOD_SYSTEM_DIR"] in now.get("system_dir", "")


# ---- a maximum pause ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "max_pause", "granted"),
    [
        (1800.0, 0.0, PauseGrant(1800.0, False)),
        (None, 0.0, PauseGrant(None, False)),
        (1800.0, 3600.0, PauseGrant(1800.0, False)),
        (3600.0, 3600.0, PauseGrant(3600.0, False)),
        (10800.0, 3600.0, PauseGrant(3600.0, True)),
        (None, 3600.0, PauseGrant(3600.0, True)),
    ],
)
def test_bounded_pause(requested: float | None, max_pause: float, granted: PauseGrant) -> None:
    assert bounded_pause(requested, max_pause) == granted


def _paused_minutes(env: dict[str, str]) -> float:
    from datetime import datetime

    until = (status(env) or {})["paused_until"]
    return (datetime.fromisoformat(until) - datetime.now().astimezone()).total_seconds() / 60


def test_policy_bounds_ergod_pause(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    _system_file(env, "policy.d/20-pause.toml", '[quiet]\nmax_pause = "1h"\n')
    with Daemon(env) as daemon:
        wait_for(lambda: status(env), 15, "the control socket")
        for argv in (("pause", "3h"), ("pause",)):
            done = ergod(env, *argv)
            assert done.returncode == 0, done.stderr
            # Before: "paused for 3 h" and "paused until you run `ergod resume`".
            assert done.stdout.splitlines() == [
                f"paused for {human_duration(3600)}",
                "shortened to the longest pause allowed here ([quiet] max_pause)",
            ]
            assert 58 <= _paused_minutes(env) <= 61
        short = ergod(env, "pause", "20m")
        assert short.stdout == f"paused for {human_duration(1200)}\n"
        assert daemon.stop() == 0


def test_the_daemon_bounds_a_pause_sent_straight_to_its_socket(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    _system_file(env, "policy.d/20-pause.toml", '[quiet]\nmax_pause = "1h"\n')
    with Daemon(env) as daemon:
        wait_for(lambda: status(env), 15, "the control socket")
        path = Path(env["XDG_RUNTIME_DIR"]) / "ergod" / "control.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(str(path))
            sock.sendall(b'{"command": "pause", "seconds": null}\n')
            sock.recv(65536)
        minutes = (
            _paused_minutes(env) if (status(env) or {})["paused_until"] != "indefinitely" else 1e9
        )
        assert daemon.stop() == 0
    assert minutes <= 61


# ---- what docs/deployment.md promises -----------------------------------------------


def test_deployment_says_what_policy_is_and_is_not() -> None:
    text = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert "cannot be switched off" not in text
    section = text.split("### What policy is, and is not", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`([a-z_]+(?:\.[a-z_<>*]+)+)`", section))
    assert {"schedule.*", "quiet.*", "notify.backend", "notify.timeout"} <= named
    assert {"sitting.break_after", "breaks.<kind>.max_prompts", "breaks.<kind>.repeat"} <= named
    assert "quiet.max_pause" in named
    for name in named:  # every key it names exists
        pattern = re.escape(name).replace(r"\*", ".*").replace("<kind>", "(stretch|movement)")
        assert any(re.fullmatch(pattern, key) for key in KEYS), name


def test_a_policy_written_as_deployment_md_shows_is_valid() -> None:
    text = (REPO / "docs" / "deployment.md").read_text(encoding="utf-8")
    example = text.split("Example `/etc/ergod/policy.d/50-reminders-stay-on.toml`", 1)[1]
    toml = example.split("```toml\n", 1)[1].split("```", 1)[0]
    with tempfile.TemporaryDirectory() as root:
        env = private_env(Path(root))
        _system_file(env, "policy.d/50-reminders-stay-on.toml", toml)
        checked = ergod(env, "config", "check")
        assert checked.returncode == 0, checked.stdout + checked.stderr
