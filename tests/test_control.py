"""The control socket: a real ControlServer, real sockets, the real CLI.

A `ControlServer` runs in-process on a private temporary runtime directory with
a small handler standing in for the daemon's (`ScriptedDaemon`: it answers the
way the daemon's contract says, so what the client prints shows what the server
delivered). Clients are `ergod.cli.main`, the installed `ergod` in a
subprocess, raw sockets sending whatever bytes a test likes, and, when the
tests run as root, a forked child that drops to uid 65534 (nobody).
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import random
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from control_support import crowd
from hypothesis import given
from hypothesis import strategies as st
from import_support import loaded_after
from users import as_user

from ergod.cli import main
from ergod.cli.control import render_status, seconds_until
from ergod.daemon.control import (
    MAX_REQUEST_BYTES,
    Command,
    ControlError,
    ControlServer,
    Request,
    control_socket_path,
    parse_request,
    send_request,
)
from ergod.environment import Environment
from ergod.errors import EXIT_NO_DAEMON, EXIT_RUNTIME, EXIT_USAGE, ErgodError, NoDaemonError

NOBODY = 65534

STATUS: dict[str, Any] = {
    "pid": 1234,
    "version": "0.1.0",
    "source": {
        "name": "x11",
        "mode": "idle-first",
        "tried": [["gnome", "no Mutter IdleMonitor on the session bus"]],
        "advice": "",
    },
    "notifier": "freedesktop",
    "sitting_seconds": 34 * 60 + 10.0,
    "idle_seconds": 5.2,
    "paused_until": "2026-11-22T14:30:00",
    "quiet": ["paused", "zoom running"],
    "attended": ["in a call: microphone in use by zoom"],
    "open_break": {"kind": "movement", "since_seconds": 130.0, "prompts": 2, "snoozes": 0},
    "next": {"kind": "stretch", "in_seconds": 361.0},
    "daily_limit": {"limit_seconds": 14400.0, "active_seconds": 5220.0, "reached_at": None},
    "rss_bytes": int(28.4 * 1048576),
    "cpu_seconds": 3.2,
    "config_files": ["/etc/ergod/config.toml", "/home/u/.config/ergod/config.toml"],
    "store": "ok",
}


class ScriptedDaemon:
    """A handler with the daemon's reply contract and no daemon behind it."""

    def __init__(self) -> None:
        self.seen: list[Request] = []

    def __call__(self, request: Request) -> Mapping[str, object]:
        self.seen.append(request)
        if request.command is Command.STATUS:
            return STATUS
        if request.command is Command.PAUSE:
            until = "resume" if request.seconds is None else f"{request.seconds:g} s"
            return {"message": f"paused for {until}"}
        if request.command is Command.SNOOZE:
            raise ControlError("no reminder is open")
        if request.command is Command.SKIP:
            raise RuntimeError("a bug in the daemon")
        if request.command is Command.RELOAD:
            return {"message": "configuration reloaded from 2 files"}
        return {}


@pytest.fixture
def runtime_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    # Short on purpose: a Unix socket path must fit in 108 bytes.
    with tempfile.TemporaryDirectory(prefix="ergod-c") as path:
        monkeypatch.setenv("XDG_RUNTIME_DIR", path)
        yield Path(path)


@pytest.fixture
def env(runtime_dir: Path) -> Environment:
    return Environment.from_os({"XDG_RUNTIME_DIR": str(runtime_dir), "HOME": str(runtime_dir)})


@pytest.fixture
def daemon() -> ScriptedDaemon:
    return ScriptedDaemon()


@pytest.fixture
def server(env: Environment, daemon: ScriptedDaemon) -> Iterator[ControlServer]:
    server = ControlServer(control_socket_path(env), daemon, logging.getLogger("test.control"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _raw(path: Path, data: bytes, *, close_write: bool = True) -> dict[str, Any]:
    """Send `data` as is and return the decoded reply line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        sock.sendall(data)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    decoded: dict[str, Any] = json.loads(reply)
    return decoded


def _still_serves(env: Environment) -> None:
    assert send_request(env, {"command": "status"}) == STATUS


def _control_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ergod-control"]


# --- status -----------------------------------------------------------------------


def test_status_json_round_trip(server: ControlServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == STATUS


def test_status_text_summary(server: ControlServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "ergod 0.1.0 running (pid 1234) \u2014 activity: x11 (idle-first); "
        "notifications: freedesktop"
    )
    assert "sitting for 34 min (idle 5 s)" in out
    assert "open: movement break for 2 min, 2 prompts, 0 snoozes" in out
    assert "next: stretch in 6 min" in out
    assert "memory 28.4 MiB, CPU 3.2 s" in out


def test_status_rendering_of_every_key() -> None:
    now = datetime(2026, 11, 22, 13, 0)
    assert render_status(STATUS, now) == [
        "ergod 0.1.0 running (pid 1234) \u2014 activity: x11 (idle-first); "
        "notifications: freedesktop",
        "sitting for 34 min (idle 5 s)",
        "open: movement break for 2 min, 2 prompts, 0 snoozes",
        "next: stretch in 6 min",
        "quiet: paused until 14:30, zoom running",
        "present without input: in a call: microphone in use by zoom",
        "today: active 1 h 27 min of the daily limit 4 h",
        "memory 28.4 MiB, CPU 3.2 s",
        "config: /etc/ergod/config.toml, /home/u/.config/ergod/config.toml",
        "store: ok",
    ]
    reached = {
        "daily_limit": {
            "limit_seconds": 14400.0,
            "active_seconds": 14500.0,
            "reached_at": "2026-11-22T12:58",
        }
    }
    assert render_status(reached, now)[1:] == [
        "today: active 4 h 2 min; daily limit 4 h reached at 12:58"
    ]
    unmeasured = {"daily_limit": {"limit_seconds": 3600.0, "active_seconds": None}}
    assert render_status(unmeasured, now)[1:] == [
        "today: active time not measured (daily limit 1 h)"
    ]


def test_status_names_the_protocol_and_says_why_a_wayland_session_fell_back() -> None:
    now = datetime(2026, 11, 22, 13, 0)
    working = {
        "source": {"name": "wayland", "protocol": "org_kde_kwin_idle v1", "mode": "idle-first"}
    }
    assert render_status(working, now) == [
        "ergod running \u2014 activity: wayland (org_kde_kwin_idle v1, idle-first)"
    ]
    why = "this is a Wayland session, but the compositor offers no idle protocol"
    fallen = {"source": {"name": "none", "mode": "schedule-only", "why": why}}
    assert render_status(fallen, now)[1] == f"why: {why}"


def test_status_rendering_tolerates_missing_and_null_keys() -> None:
    now = datetime(2026, 11, 22, 13, 0)
    assert render_status({}, now) == ["ergod running"]
    sparse = {
        "pid": 7,
        "source": {"name": "schedule", "mode": "schedule-only", "advice": "install xprintidle"},
        "sitting_seconds": None,
        "open_break": None,
        "next": None,
        "paused_until": "indefinitely",
        "quiet": ["paused"],
        "rss_bytes": 3 * 1048576 * 1024,
        "uptime_seconds": 7200.0,
    }
    assert render_status(sparse, now) == [
        "ergod running (pid 7) \u2014 activity: schedule (schedule-only)",
        "advice: install xprintidle",
        "sitting: not measured",
        "open: no break",
        "next: nothing due",
        "quiet: paused until resume",
        "up 2 h, memory 3072.0 MiB",
    ]
    tomorrow = render_status({"paused_until": "2026-11-23T09:00:00", "quiet": ["paused"]}, now)
    assert tomorrow[-1] == "quiet: paused until Mon 09:00"
    long_bout = render_status({"sitting_seconds": 2 * 3600 + 5 * 60, "next": {"kind": "x"}}, now)
    assert long_bout[1:] == ["sitting for 2 h 5 min", "next: x"]


# --- pause, snooze, resume, skip, reload ---------------------------------------------


def test_pause_with_a_duration(
    server: ControlServer, daemon: ScriptedDaemon, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pause", "1h30m"]) == 0
    assert capsys.readouterr().out == "paused for 5400 s\n"
    assert daemon.seen == [Request(Command.PAUSE, 5400.0, "en")]


def test_pause_without_a_duration_is_until_resume(
    server: ControlServer, daemon: ScriptedDaemon, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["pause"]) == 0
    assert capsys.readouterr().out == "paused for resume\n"
    assert daemon.seen == [Request(Command.PAUSE, None, "en")]


def test_pause_until_a_clock_time(server: ControlServer, daemon: ScriptedDaemon) -> None:
    assert main(["pause", "--until", "23:59"]) == 0
    (request,) = daemon.seen
    assert request.command is Command.PAUSE
    assert request.seconds is not None and 0 < request.seconds <= 86400 + 3600


@pytest.mark.parametrize(
    ("now", "clock", "expected"),
    [
        (datetime(2026, 11, 22, 13, 0), "14:30", 5400.0),
        (datetime(2026, 11, 22, 13, 0, 30), "13:01", 30.0),
        # Passed today: tomorrow.
        (datetime(2026, 11, 22, 13, 0), "12:00", 23 * 3600.0),
        (datetime(2026, 11, 22, 13, 0), "13:00", 24 * 3600.0),
    ],
)
def test_until_is_today_or_tomorrow(now: datetime, clock: str, expected: float) -> None:
    hours, minutes = clock.split(":")
    assert seconds_until(int(hours) * 60 + int(minutes), now) == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pause", "3x"], "bad duration '3x': expected a duration like"),
        (["pause", "0"], "expected a duration of more than 0 seconds"),
        (["pause", "10m", "--until", "14:00"], "not both"),
        (["pause", "--until", "25:00"], "bad --until '25:00': expected a clock time"),
        (["snooze", "5 minutes"], "bad duration"),
    ],
)
def test_bad_arguments_exit_2_before_any_request(
    runtime_dir: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # No daemon runs: exit 2 (not 3) proves the arguments were checked first.
    assert main(argv) == EXIT_USAGE
    assert message in capsys.readouterr().err


def test_snooze_refused_by_the_daemon_exits_1_with_its_message(
    server: ControlServer, daemon: ScriptedDaemon, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["snooze", "2m"]) == EXIT_RUNTIME
    assert capsys.readouterr().err == "ergod: no reminder is open\n"
    assert daemon.seen == [Request(Command.SNOOZE, 120.0, "en")]


def test_reload_and_resume_print_the_confirmation(
    server: ControlServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["reload"]) == 0
    assert main(["resume"]) == 0
    # The scripted resume sends no message: the CLI's own confirmation.
    assert capsys.readouterr().out == "configuration reloaded from 2 files\nresumed\n"


def test_a_handler_bug_is_a_generic_error_and_the_server_lives_on(
    server: ControlServer, env: Environment, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ErgodError, match="internal error in ergod") as caught:
        send_request(env, {"command": "skip"})
    assert caught.value.exit_code == EXIT_RUNTIME
    assert "a bug in the daemon" in caplog.text  # the traceback is in the log only
    assert "a bug" not in caught.value.message
    _still_serves(env)


# --- no daemon --------------------------------------------------------------------


def test_no_daemon_exits_3_with_the_socket_path(
    env: Environment, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status"]) == EXIT_NO_DAEMON
    path = control_socket_path(env)
    assert capsys.readouterr().err == f"ergod: ergod is not running (no control socket at {path})\n"


def test_a_dead_daemons_socket_file_counts_as_no_daemon(env: Environment) -> None:
    path = control_socket_path(env)
    path.parent.mkdir(mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(path))  # bound, never listening: connect is refused
    with pytest.raises(NoDaemonError):
        send_request(env, {"command": "status"})


def _installed_ergod(*argv: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "ergod"
    if not exe.exists():
        pytest.fail(f"no `ergod` entry point next to {sys.executable}: run `pip install -e .`")
    return subprocess.run(
        [str(exe), *argv], capture_output=True, text=True, timeout=60, check=False
    )


def test_installed_ergod_status_talks_to_the_server(server: ControlServer) -> None:
    result = _installed_ergod("status", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == STATUS


def test_installed_ergod_without_daemon_exits_3(env: Environment) -> None:
    result = _installed_ergod("status")
    assert result.returncode == EXIT_NO_DAEMON
    assert result.stdout == ""
    assert result.stderr.startswith("ergod: ergod is not running (no control socket at ")


def test_status_loads_no_heavy_library(env: Environment) -> None:
    code = f"from ergod.cli import main\nassert main(['status']) == {EXIT_NO_DAEMON}"
    assert loaded_after(code) == []


# --- malformed requests -----------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"\x00\xff\xfe garbage \x80\n", "must be UTF-8"),
        (b"hello daemon\n", "one JSON object"),
        (b'{"comm', "one JSON object"),
        (b"\n", "one JSON object"),
        (b"", "one JSON object"),
        (b"[1, 2, 3]\n", "must be a JSON object"),
        (b'"status"\n', "must be a JSON object"),
        (b"{}\n", 'needs "command"'),
        (b'{"command": 7}\n', 'needs "command"'),
        (b'{"command": "dance"}\n', "unknown command 'dance'"),
        (b'{"command": "pause", "seconds": "ten"}\n', '"seconds" must be a number'),
        (b'{"command": "pause", "seconds": true}\n', '"seconds" must be a number'),
        (b'{"command": "pause", "seconds": -5}\n', "must be more than 0"),
        (b'{"command": "snooze", "seconds": 1e308}\n', "must be more than 0"),
        (b'{"command": "pause", "seconds": NaN}\n', "must be more than 0"),
        # Issue 17 item 8: float() of this integer overflowed into an internal error.
        (b'{"command": "pause", "seconds": ' + b"9" * 4000 + b"}\n", "at most 31622400"),
        (b'{"command": "status", "seconds": 5}\n', "status does not take seconds"),
        (b'{"command": "pause", "until": "14:00"}\n', "pause does not take until"),
        (b'{"command": "status", "language": "de"}\n', "status does not take language"),
        (b'{"command": "skip", "language": 7}\n', '"language" must be a locale code'),
        (b'{"command": "skip", "language": "de;rm"}\n', '"language" must be a locale code'),
        (b'{"command": "skip", "language": "' + b"d" * 65 + b'"}\n', "must be a locale code"),
        (b"[" * 100000 + b"\n", "request too large"),
        (b"[" * 60000 + b"\n", "one JSON object"),
        (b" " * (2 * 1024 * 1024) + b'{"command": "status"}\n', "request too large"),
    ],
    ids=lambda value: repr(value)[:40] if isinstance(value, bytes) else None,
)
def test_malformed_request_gets_an_error_reply(
    server: ControlServer, env: Environment, daemon: ScriptedDaemon, data: bytes, error: str
) -> None:
    reply = _raw(server.path, data)
    assert reply["ok"] is False
    assert error in reply["error"]
    assert daemon.seen == []
    _still_serves(env)


def test_one_mebibyte_without_a_newline(server: ControlServer, env: Environment) -> None:
    reply = _raw(server.path, b"x" * (1024 * 1024), close_write=False)
    assert reply == {"ok": False, "error": f"request too large (limit {MAX_REQUEST_BYTES} bytes)"}
    _still_serves(env)


@pytest.mark.parametrize("seed", range(5))
def test_one_mebibyte_of_random_bytes(server: ControlServer, env: Environment, seed: int) -> None:
    # Wherever a newline falls, the client still sending gets its error reply.
    data = random.Random(seed).randbytes(1024 * 1024)
    reply = _raw(server.path, data, close_write=False)
    assert reply["ok"] is False
    assert reply["error"]
    _still_serves(env)


def test_a_client_that_never_finishes_times_out(server: ControlServer, env: Environment) -> None:
    reply = _raw(server.path, b'{"command": "sta', close_write=False)
    assert reply == {"ok": False, "error": "no complete request within 2 s"}
    _still_serves(env)


def test_a_client_that_leaves_without_reading_the_reply(
    server: ControlServer, env: Environment
) -> None:
    for _ in range(3):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(str(server.path))
            sock.sendall(b'{"command": "status"}\n')
    _still_serves(env)


def test_idle_connections_do_not_hold_up_concurrent_clients(
    server: ControlServer, env: Environment, daemon: ScriptedDaemon
) -> None:
    """Issue 17 item 5: 17 connections that send nothing made every CLI command
    fail ("Resource temporarily unavailable"); 60 concurrent `status` calls had
    36 failures. Now each connection has its own thread and timeout."""
    answers, failures = crowd(env, timeout=10)
    assert failures == []
    assert len(answers) == 60 and all(a == STATUS for a in answers)
    _still_serves(env)


# Flat JSON values: what matters is each key's type, not deep nesting.
_JSON = (
    st.none()
    | st.booleans()
    | st.floats()
    | st.integers()
    | st.text(max_size=10)
    | st.lists(st.integers(), max_size=3)
)


@given(st.binary(max_size=200))
def test_any_bytes_parse_to_a_request_or_a_control_error(raw: bytes) -> None:
    try:
        request = parse_request(raw)
    except ControlError as exc:
        assert exc.message
    else:
        assert isinstance(request.command, Command)


@given(
    st.dictionaries(
        st.sampled_from(["command", "seconds", "until"]),
        st.sampled_from([c.value for c in Command]) | _JSON,
    )
)
def test_any_json_object_parses_to_a_valid_request_or_a_control_error(data: dict[str, Any]) -> None:
    try:
        request = Request.from_json(data)
    except ControlError as exc:
        assert exc.message
    else:
        assert data["command"] == request.command.value
        assert request.seconds is None or 0 < request.seconds <= 366 * 86400


def test_a_daemon_that_does_not_answer_in_time(env: Environment) -> None:
    release = threading.Event()

    def stuck(request: Request) -> Mapping[str, object]:
        release.wait(10)
        return {"message": "late"}

    server = ControlServer(control_socket_path(env), stuck, logging.getLogger("t"))
    server.start()
    try:
        with pytest.raises(ErgodError, match=r"^ergod did not answer within 0\.2 s$") as caught:
            send_request(env, {"command": "resume"}, timeout=0.2)
        assert caught.value.exit_code == EXIT_RUNTIME
        release.set()
        assert send_request(env, {"command": "resume"}) == {"message": "late"}
    finally:
        release.set()
        server.stop()


def test_the_wire_form_round_trips() -> None:
    for request in (
        Request(Command.STATUS),
        Request(Command.PAUSE, 60.0),
        Request(Command.SNOOZE),
        Request(Command.SKIP, language="de_DE"),
    ):
        assert Request.from_json(json.loads(json.dumps(request.to_json()))) == request
    with pytest.raises(ControlError):
        Request(Command.SKIP, 5.0)


# --- the socket file and who may use it --------------------------------------------


def test_socket_is_0600_in_a_0700_directory(server: ControlServer, env: Environment) -> None:
    info = server.path.lstat()
    assert stat.S_ISSOCK(info.st_mode)
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert stat.S_IMODE(env.daemon_dir.stat().st_mode) == 0o700


def _as_nobody(path: Path) -> str:
    """Connect to `path` as uid 65534 (`users.as_user`); what it got, as text."""

    def connect() -> str:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(10)
                sock.connect(str(path))
                with contextlib.suppress(BrokenPipeError):  # refused before reading
                    sock.sendall(b'{"command": "status"}\n')
                return sock.recv(65536).decode("utf-8", "replace").strip() or "closed"
        except OSError as exc:
            return f"errno {exc.errno}"

    return as_user(NOBODY, connect)


needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root to run a client as a second uid (nobody)"
)


@needs_root
def test_another_user_cannot_reach_the_socket(server: ControlServer, env: Environment) -> None:
    assert _as_nobody(server.path) == f"errno {errno.EACCES}"
    _still_serves(env)


@needs_root
def test_another_users_connection_is_refused_by_peer_uid(
    server: ControlServer,
    env: Environment,
    runtime_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Loosen every file permission on purpose: the uid check must still refuse.
    runtime_dir.chmod(0o755)
    env.daemon_dir.chmod(0o755)
    server.path.chmod(0o666)
    with caplog.at_level(logging.WARNING, logger="test.control"):
        reply = _as_nobody(server.path)
    assert json.loads(reply) == {"ok": False, "error": "permission denied"}
    assert f"refused a client of uid {NOBODY}" in caplog.text
    _still_serves(env)


# --- start and stop ----------------------------------------------------------------


def test_stop_ends_the_thread_and_removes_the_socket(env: Environment) -> None:
    server = ControlServer(control_socket_path(env), ScriptedDaemon(), logging.getLogger("t"))
    server.start()
    assert len(_control_threads()) == 1
    # A client stuck mid-request must not hold stop() up.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stuck:
        stuck.connect(str(server.path))
        stuck.sendall(b'{"command"')
        server.stop()
        assert _control_threads() == []
        assert not server.path.exists()
    server.stop()  # idempotent
    with pytest.raises(NoDaemonError):
        send_request(env, {"command": "status"})


def test_a_stale_socket_file_is_replaced(env: Environment, daemon: ScriptedDaemon) -> None:
    path = control_socket_path(env)
    path.parent.mkdir(mode=0o700)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(path))
    server = ControlServer(path, daemon, logging.getLogger("t"))
    server.start()
    try:
        _still_serves(env)
    finally:
        server.stop()


def test_a_live_socket_is_not_taken_over(server: ControlServer, env: Environment) -> None:
    second = ControlServer(server.path, ScriptedDaemon(), logging.getLogger("t"))
    with pytest.raises(ErgodError, match="another process is serving"):
        second.start()
    _still_serves(env)


def test_a_socket_path_that_is_a_plain_file_is_refused(env: Environment) -> None:
    path = control_socket_path(env)
    path.parent.mkdir(mode=0o700)
    path.write_text("mine\n")
    with pytest.raises(ErgodError, match="is not a socket"):
        ControlServer(path, ScriptedDaemon(), logging.getLogger("t")).start()
    assert path.read_text() == "mine\n"


# --- with the real daemon ------------------------------------------------------------


def _daemon_environ(root: Path) -> dict[str, str]:
    """A user with nothing set up: no display, no session bus, no system config."""
    environ = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS")
    }
    (root / "etc").mkdir(exist_ok=True)
    environ.update(
        HOME=str(root),
        XDG_RUNTIME_DIR=str(root),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_STATE_HOME=str(root / "state"),
        ERGOD_SYSTEM_DIR=str(root / "etc"),
    )
    return environ


def _start_daemon(root: Path, env: Environment) -> subprocess.Popen[str]:
    exe = Path(sys.executable).parent / "ergod"
    proc = subprocess.Popen(
        [str(exe), "run"],
        env=_daemon_environ(root),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ergod run exited {proc.returncode}: {proc.communicate()[1]}")
        try:
            send_request(env, {"command": "status"})
            return proc
        except NoDaemonError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail(f"ergod run never answered on its control socket: {proc.communicate()[1]}")


@pytest.mark.e2e
def test_real_daemon_status_pause_second_instance_and_kill_9(
    runtime_dir: Path, env: Environment, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in _daemon_environ(runtime_dir).items():
        monkeypatch.setenv(name, value)
    first = _start_daemon(runtime_dir, env)
    try:
        status = send_request(env, {"command": "status"})
        assert status["pid"] == first.pid
        second = _installed_ergod("run")
        assert second.returncode == EXIT_RUNTIME
        assert f"ergod is already running (pid {first.pid})" in second.stderr
        assert _installed_ergod("pause", "10m").returncode == 0
        paused = send_request(env, {"command": "status"})
        assert paused["paused_until"] is not None
        assert "paused" in paused["quiet"]
        assert _installed_ergod("resume").returncode == 0
        assert send_request(env, {"command": "status"})["paused_until"] is None
        refused = _installed_ergod("skip")
        assert refused.returncode == EXIT_RUNTIME
        assert refused.stderr.startswith("ergod: ")  # the daemon's reason, one line
    finally:
        first.kill()  # SIGKILL: the lock file and the socket file stay behind
        first.wait(timeout=10)
    assert _installed_ergod("status").returncode == EXIT_NO_DAEMON
    # The stale lock and socket files block nobody.
    third = _start_daemon(runtime_dir, env)
    try:
        assert send_request(env, {"command": "status"})["pid"] == third.pid
    finally:
        # SIGKILL again: a clean stop on SIGTERM is the daemon's own test's business.
        third.kill()
        third.wait(timeout=10)
