"""End to end: the installed `ergod run` on a real X server, D-Bus and dunst.

A seconds-scale configuration (stretch every 6 s, 3 s away takes it) lets the
test play a user: xdotool moves the mouse, dunst receives the prompt, the user
stops, `ergod status --json` reports the break taken; then snooze and skip
through the real CLI. Finally SIGTERM stops the daemon cleanly.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from daemon_support import (
    ERGOD,
    Daemon,
    Person,
    ergod,
    outcomes,
    private_env,
    status,
    stored,
    wait_for,
)
from servers import NotificationServer, require_tool, stop_process

CONFIG = """\
[activity]
source = "x11"

[sitting]
break_after = "30s"

[breaks.stretch]
every = "6s"
duration = "3s"
grace = "5s"
repeat = "5s"
max_prompts = 2
snooze = "4s"

[breaks.movement]
enabled = false

[notify]
backend = "freedesktop"
timeout = "60s"
"""

pytestmark = pytest.mark.e2e


def mouse_move(x: list[int]) -> None:
    x[0] = (x[0] + 7) % 500
    subprocess.run(["xdotool", "mousemove", str(100 + x[0]), "200"], check=False)


@pytest.fixture
def ergod_env(tmp_path: Path, notification_server: NotificationServer) -> Iterator[dict[str, str]]:
    require_tool("xdotool")
    env = dict(os.environ)
    for name in ("XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        directory = tmp_path / name.lower()
        directory.mkdir(mode=0o700)
        env[name] = str(directory)
    env["ERGOD_SYSTEM_DIR"] = str(tmp_path / "etc")
    env.pop("NOTIFY_SOCKET", None)
    yield env


def test_a_user_session(
    tmp_path: Path, ergod_env: dict[str, str], notification_server: NotificationServer
) -> None:
    assert ERGOD.exists(), f"ergod is not installed beside {sys.executable}"
    config = tmp_path / "e2e.toml"
    config.write_text(CONFIG)
    log = (tmp_path / "ergod.log").open("w")
    daemon = subprocess.Popen(
        [str(ERGOD), "run", "--config", str(config), "--log-level", "debug"],
        env=ergod_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    x = [0]
    mouse = Person(lambda: mouse_move(x))
    try:
        first = wait_for(lambda: status(ergod_env), 15, "the control socket")
        assert first["source"]["name"] == "x11"
        assert first["source"]["mode"] == "idle-first"
        assert first["pid"] == daemon.pid

        # A second daemon refuses to start and names the first.
        second = ergod(ergod_env, "run", "--config", str(config))
        assert second.returncode == 1
        assert f"pid {daemon.pid}" in second.stderr

        # Sit and work: after 6 s of input the stretch prompt reaches dunst.
        mouse.present.set()
        shown = notification_server.wait_for(
            lambda items: [n for n in items if n["appname"] == "ergod"], timeout=20
        )
        prompt = shown[-1]
        assert prompt["summary"] == "Stretch break"
        assert len(prompt["body"]) > 20  # the exercise's name and steps

        # Step away for 5 s: the break is taken.
        mouse.present.clear()
        wait_for(lambda: outcomes(ergod_env).get("stretch:taken"), 20, "a taken break")

        # Back to work: the next prompt, snoozed, then skipped from the CLI.
        notification_server.forget_so_far()
        mouse.present.set()
        wait_for(lambda: (status(ergod_env) or {}).get("open_break"), 20, "the next prompt")
        snoozed = ergod(ergod_env, "snooze")
        assert snoozed.returncode == 0, snoozed.stderr
        open_break = (status(ergod_env) or {})["open_break"]
        assert open_break["snoozes"] == 1
        skipped = ergod(ergod_env, "skip")
        assert skipped.returncode == 0, skipped.stderr
        assert outcomes(ergod_env).get("stretch:skipped") == 1
        assert (status(ergod_env) or {})["open_break"] is None
        mouse.present.clear()

        # SIGTERM stops it cleanly and removes its socket.
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(timeout=10) == 0
        assert not (Path(ergod_env["XDG_RUNTIME_DIR"]) / "ergod" / "control.sock").exists()
        assert ergod(ergod_env, "status").returncode == 3

        # What the user sees is what the store keeps.
        kept = stored(ergod_env)
        assert [b[:2] for b in kept["breaks"]][:2] == [("stretch", "taken"), ("stretch", "skipped")]
        assert all(b[2] for b in kept["breaks"][:2])  # the exercise shown
        assert kept["events"] == ["start", "stop"]
        assert kept["spans"] >= 2  # active before the walk, and after it
    finally:
        mouse.close()
        stop_process(daemon)
        log.close()
        text = (tmp_path / "ergod.log").read_text()
        if daemon.returncode not in (0, None):
            sys.stderr.write(text)
    assert "Traceback" not in text, text


def test_headless_start_falls_back_and_keeps_running(tmp_path: Path) -> None:
    """No display, no bus: ergod says what it could not find and keeps running."""
    env = private_env(tmp_path)
    with Daemon(env) as daemon:
        data = wait_for(lambda: status(env), 15, "the control socket")
        assert data["source"]["mode"] == "schedule-only"
        assert data["source"]["advice"]
        assert "console" in data["notifier"]
        assert daemon.proc.poll() is None
        assert daemon.stop() == 0
    assert "schedule-only mode" in daemon.output


def test_x_server_dying_falls_back_and_recovers(tmp_path: Path, dbus_session: str) -> None:
    """X dies under a running daemon: it says so and runs on by the clock; X comes
    back on the same display: the same daemon measures activity again."""
    from servers import running_xvfb_process

    config = tmp_path / "e2e.toml"
    config.write_text(CONFIG.replace('backend = "freedesktop"', 'backend = "console"'))
    with running_xvfb_process() as (display, xvfb):
        env = private_env(
            tmp_path,
            DISPLAY=display,
            DBUS_SESSION_BUS_ADDRESS=dbus_session,
            ERGOD_REPROBE_SECONDS="1",
        )
        with Daemon(env, "--config", str(config)) as daemon:
            first = wait_for(lambda: status(env), 15, "the control socket")
            assert first["source"]["name"] == "x11"
            stop_process(xvfb)
            data = wait_for(
                lambda: (s := status(env)) and s["source"]["mode"] == "schedule-only" and s,
                20,
                "the fall-back to schedule-only mode",
            )
            assert any(name == "x11" for name, _ in data["source"]["tried"]), data
            again = subprocess.Popen(
                [require_tool("Xvfb"), display, "-nolisten", "tcp", "-noreset"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                back = wait_for(
                    lambda: (s := status(env)) and s["source"]["mode"] == "idle-first" and s,
                    30,
                    "the x11 source to come back",
                )
                assert back["source"]["name"] == "x11"
                assert back["pid"] == first["pid"]
                assert daemon.stop() == 0
            finally:
                stop_process(again)
    assert "activity source x11 failed" in daemon.output
    assert "activity source x11 works again" in daemon.output


def test_a_forced_source_that_cannot_work_exits_1(tmp_path: Path) -> None:
    env = private_env(tmp_path)
    config = tmp_path / "x11.toml"
    config.write_text('[activity]\nsource = "x11"\n')
    done = ergod(env, "run", "--config", str(config))
    assert done.returncode == 1
    assert 'activity source "x11" was set but cannot work here' in done.stderr
    assert "DISPLAY" in done.stderr
    assert "Traceback" not in done.stderr


def test_reload_refuses_a_broken_config_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    # A system file: the user's own is read forgivingly (tests/test_faults_policy.py).
    env = private_env(tmp_path)
    user = Path(env["ERGOD_SYSTEM_DIR"]) / "config.d" / "50-site.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[breaks.stretch]\nevery = "25m"\n')
    with Daemon(env) as daemon:
        wait_for(lambda: status(env), 15, "the control socket")
        user.write_text('[breaks.stretch]\nevery = "soon"\n')
        refused = ergod(env, "reload")
        assert refused.returncode == 1
        assert "breaks.stretch.every" in refused.stderr
        assert "last good configuration" in refused.stderr
        # SIGHUP with the same broken file: logged, and the daemon lives on.
        daemon.proc.send_signal(signal.SIGHUP)
        assert status(env) is not None
        user.write_text('[breaks.stretch]\nevery = "15m"\n')
        assert ergod(env, "reload").returncode == 0
        assert daemon.stop() == 0
    assert "reload refused" in daemon.output
    assert "configuration reloaded" in daemon.output


def test_pause_suppresses_and_resume_restarts(tmp_path: Path) -> None:
    """Schedule-only mode (no display): a break due while paused is recorded
    `suppressed` once; after `ergod resume` it catches up (`[breaks] catch_up`
    after the end of quiet time, spec section 6) and prompts again."""
    env = private_env(tmp_path)
    config = tmp_path / "fast.toml"
    config.write_text(
        '[breaks]\ncatch_up = "1s"\n'
        '[breaks.stretch]\nevery = "4s"\nduration = "2s"\ngrace = "2s"\nrepeat = "2s"\n'
        "[breaks.movement]\nenabled = false\n"
        '[notify]\nbackend = "console"\n'
    )
    with Daemon(env, "--config", str(config)) as daemon:
        wait_for(lambda: status(env), 15, "the control socket")
        paused = ergod(env, "pause", "10m")
        assert paused.returncode == 0, paused.stderr
        assert (status(env) or {})["quiet"] == ["paused"]
        wait_for(lambda: outcomes(env).get("stretch:suppressed"), 15, "a suppressed break")
        assert (status(env) or {})["open_break"] is None
        time.sleep(5)  # still paused: no second record, the clock waits for the end
        assert outcomes(env).get("stretch:suppressed") == 1
        assert ergod(env, "resume").returncode == 0
        assert (status(env) or {})["quiet"] == []
        wait_for(lambda: (status(env) or {}).get("open_break"), 15, "a prompt after resume")
        assert daemon.stop() == 0
    assert "Stretch break" in daemon.output


def test_outside_the_schedule_prompts_are_suppressed(tmp_path: Path) -> None:
    """A schedule that leaves out today: ergod holds prompts back and says why."""
    from datetime import datetime

    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    today = datetime.now().astimezone().weekday()
    others = [d for i, d in enumerate(days) if i != today]
    env = private_env(tmp_path)
    config = tmp_path / "schedule.toml"
    config.write_text(
        f"[schedule]\ndays = {others!r}\n".replace("'", '"')
        + '[breaks.stretch]\nevery = "3s"\nduration = "1s"\ngrace = "1s"\nrepeat = "1s"\n'
        + "[breaks.movement]\nenabled = false\n"
    )
    with Daemon(env, "--config", str(config)) as daemon:
        first = wait_for(lambda: status(env), 15, "the control socket")
        assert first["quiet"] == ["outside the schedule"]
        wait_for(lambda: outcomes(env).get("stretch:suppressed"), 15, "a suppressed break")
        assert (status(env) or {})["open_break"] is None
        assert daemon.stop() == 0


def test_sigterm_right_after_start_stops_the_daemon(tmp_path: Path) -> None:
    """A stop that arrives while the engine thread sleeps is never lost."""
    env = private_env(tmp_path)
    for round_ in range(5):
        with Daemon(env) as daemon:
            wait_for(lambda: status(env), 15, "the control socket")
            time.sleep(0.05 * round_)
            daemon.proc.send_signal(signal.SIGTERM)
            assert daemon.proc.wait(timeout=5) == 0, f"round {round_}: SIGTERM was lost"


SIGNAL_TO_ANOTHER_THREAD = """
import signal, sys, threading, time
from ergod.daemon.shell import Daemon
from ergod.environment import Environment

env = Environment.from_os()
daemon = Daemon(env)

def stop_from_a_side_thread():
    sock = env.runtime_dir / "ergod" / "control.sock"
    while not sock.exists():
        time.sleep(0.01)
    time.sleep(0.5)  # the engine thread is asleep on its queue by now
    signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

threading.Thread(target=stop_from_a_side_thread, daemon=True).start()
sys.exit(daemon.run())
"""


def test_a_signal_delivered_to_another_thread_still_stops_it(tmp_path: Path) -> None:
    """The kernel may hand SIGTERM to any thread; the sleeping engine thread must wake."""
    env = private_env(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SIGNAL_TO_ANOTHER_THREAD],
        env=env,
        capture_output=True,
        text=True,
        timeout=15,  # without the wake-up fd it hangs here
    )
    assert done.returncode == 0, done.stderr


def test_the_daemon_keeps_the_metrics_file(tmp_path: Path) -> None:
    """Opted in: the textfile appears with ergod_up 1, and says 0 after a stop."""
    env = private_env(tmp_path)
    textfile = tmp_path / "metrics" / "ergod.prom"
    textfile.parent.mkdir()
    config = tmp_path / "metrics.toml"
    config.write_text(f'[metrics]\ntextfile = "{textfile}"\ninterval = "10s"\n')
    with Daemon(env, "--config", str(config)) as daemon:
        wait_for(lambda: textfile.exists() and "ergod_up 1" in textfile.read_text(), 15, "metrics")
        text = textfile.read_text()
        assert "ergod_build_info" in text
        assert os.environ.get("USER", "root") not in text.replace("ergod_", "")
        assert daemon.stop() == 0
    assert "ergod_up 0" in textfile.read_text()
