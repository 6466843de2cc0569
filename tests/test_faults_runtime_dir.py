"""Another user and the shared /tmp fallback of the runtime directory (issue 17, item 1).

Without `XDG_RUNTIME_DIR`, ergod keeps its lock file and control socket in
`$TMPDIR/ergod-<uid>/ergod`. Here `$TMPDIR` is a fresh directory with /tmp's
mode (1777), a second real uid plants directories and a fake daemon in it, and
the installed `ergod` (run by root, whom permissions do not stop, so only
ergod's own checks can) must refuse to start or to believe the fake, with a
message that names the directory, its owner and the way out.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from daemon_support import ERGOD, Daemon, ergod, private_env, status, wait_for
from users import OTHER_UID, Background, as_user, needs_root

pytestmark = [needs_root]


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A directory like /tmp: root's, writable by all, sticky."""
    with tempfile.TemporaryDirectory(prefix="ergod-shared-") as path:
        os.chmod(path, 0o1777)
        yield Path(path)


@pytest.fixture
def victim_env(tmp_path: Path, shared_tmp: Path) -> dict[str, str]:
    env = private_env(tmp_path)
    del env["XDG_RUNTIME_DIR"]
    env["TMPDIR"] = str(shared_tmp)
    return env


def _fallback(shared_tmp: Path) -> Path:
    return shared_tmp / f"ergod-{os.getuid()}"


def _plant_dir(path: Path, mode: int) -> Callable[[], str]:
    def work() -> str:
        os.mkdir(path)
        os.chmod(path, mode)
        return "planted"

    return work


def _run_briefly(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`ergod run`, which must refuse at once; a daemon still up after 20 s fails."""
    proc = subprocess.Popen(
        [str(ERGOD), "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"ergod started in a directory another user owns:\n{err}") from None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("mode", [0o777, 0o755], ids=["0777", "0755"])
def test_the_daemon_refuses_a_fallback_directory_another_user_made(
    victim_env: dict[str, str], shared_tmp: Path, mode: int
) -> None:
    # 0777: the other user could swap in a fake socket and lock file later;
    # 0755: a plain mkdir that stopped a non-root victim with "Permission denied".
    planted = _fallback(shared_tmp)
    as_user(OTHER_UID, _plant_dir(planted, mode))
    done = _run_briefly(victim_env)
    assert done.returncode == 1, done.stderr
    assert f"{planted} belongs to uid {OTHER_UID}" in done.stderr
    assert "XDG_RUNTIME_DIR" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (planted / "ergod").exists()


def _fake_daemon(directory: Path) -> Callable[[Callable[[], None]], None]:
    """Another user's socket that answers every request as if it were ergod."""

    def serve(ready: Callable[[], None]) -> None:
        directory.mkdir(mode=0o777)
        os.chmod(directory, 0o777)
        inner = directory / "ergod"
        inner.mkdir(mode=0o755)
        (inner / "ergod.lock").write_text(f"{os.getpid()}\n")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(str(inner / "control.sock"))
            os.chmod(inner / "control.sock", 0o777)
            server.listen(8)
            ready()
            while True:
                conn, _ = server.accept()
                with conn:
                    conn.recv(65536)
                    reply = {"ok": True, "result": {"message": "paused by someone else"}}
                    conn.sendall(json.dumps(reply).encode() + b"\n")

    return serve


def test_a_client_does_not_believe_a_socket_in_a_planted_directory(
    victim_env: dict[str, str], shared_tmp: Path
) -> None:
    planted = _fallback(shared_tmp)
    with Background(OTHER_UID, _fake_daemon(planted)) as fake:
        for argv in (("pause", "30m"), ("status",), ("reload",)):
            done = ergod(victim_env, *argv)
            assert "someone else" not in done.stdout, argv
            assert done.returncode == 1, (argv, done.stdout, done.stderr)
            assert f"{planted} belongs to uid {OTHER_UID}" in done.stderr, done.stderr
        # Who runs? Not the other user's process named in its lock file.
        service = ergod(victim_env, "service", "status", "--json")
        assert json.loads(service.stdout)["running_pid"] is None
        # config set writes the file, asks no planted socket, signals no planted PID.
        done = ergod(victim_env, "config", "set", "sitting.break_after", "4m")
        assert done.returncode == 1, done.stderr
        assert "the running daemon did not reload: not talking to a daemon" in done.stderr
        user = Path(victim_env["XDG_CONFIG_HOME"]) / "ergod" / "config.toml"
        assert 'break_after = "4m"' in user.read_text()
        assert fake.alive()  # before: SIGHUP to the PID in its lock file ended it
        report = json.loads(ergod(victim_env, "doctor", "--json").stdout)
        daemon = next(c for c in report["checks"] if c["name"] == "daemon")
        assert daemon["status"] == "problem"
        assert f"belongs to uid {OTHER_UID}" in " ".join(daemon["details"])


def test_a_fresh_fallback_is_made_private_and_used(
    victim_env: dict[str, str], shared_tmp: Path
) -> None:
    with Daemon(victim_env) as daemon:
        first = wait_for(lambda: status(victim_env), 15, "the control socket")
        assert first["pid"] == daemon.proc.pid
        for directory in (_fallback(shared_tmp), _fallback(shared_tmp) / "ergod"):
            info = directory.lstat()
            assert (info.st_uid, info.st_mode & 0o777) == (os.getuid(), 0o700), directory
        assert daemon.stop() == 0


def test_a_private_fallback_left_by_an_earlier_run_is_reused(
    victim_env: dict[str, str], shared_tmp: Path
) -> None:
    _fallback(shared_tmp).mkdir(mode=0o700)
    with Daemon(victim_env) as daemon:
        wait_for(lambda: status(victim_env), 15, "the control socket")
        assert daemon.stop() == 0
