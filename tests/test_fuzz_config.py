"""Bad configuration input: `ergod config check` on mutated and broken TOML.

Hypothesis mutates the shipped default config (wrong types, huge or negative
numbers, "1e999", empty strings, near-miss key names, a deleted quote or bracket,
random and invalid UTF-8 bytes, very long lines) and runs `ergod config check FILE`
in-process (hundreds of examples) and, for fewer examples, as the installed
`ergod` would be run. For every document: exit 0 or 2, never a traceback, no
exception escaping; on 2, each problem line (stdout) names the file and stderr's
one line counts them. Mutations that are wrong for every key (a table, an array,
`inf`, a duration beyond 100 years) must be refused on their line, naming their key.

Then against one running headless `ergod run`: broken system configs through
`ergod reload` (exit 1 with config check's own problem lines, the last good
config still in force as `status` shows; the user's own file is read
forgivingly, see test_faults_policy.py), and bursts of junk on the control
socket (error replies; the same daemon answers `status` afterwards).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from daemon_support import Daemon, ergod, private_env, status, wait_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ergod.cli import main
from ergod.config.schema import KEYS

ERGOD = Path(sys.executable).with_name("ergod")
DEFAULT = (Path(__file__).parents[1] / "ergod" / "data" / "default.toml").read_text()
LINES = DEFAULT.splitlines()

# Every line `key = value` of the default file, with its dotted key (0-based index).
_TABLE = re.compile(r"^\[([\w.]+)\]")
_ASSIGN = re.compile(r"^(\w+) = ")


def _key_lines() -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    table = ""
    for index, line in enumerate(LINES):
        header = _TABLE.match(line)
        if header:
            table = header.group(1)
            continue
        assign = _ASSIGN.match(line)
        if assign and not line.rstrip().endswith("["):  # multi-line arrays: keep whole
            found.append((index, f"{table}.{assign.group(1)}"))
    return found


KEY_LINES = _key_lines()


def _is_duration(key: str) -> bool:
    try:
        return bool(KEYS[key].parse("20m") == 1200.0)
    except ValueError:
        return False


# Beyond any duration's bound; a count as large is absurd but harmless, so allowed.
HUGE = (str(10**30), f'"{10**30}d"', '"36501d"', f'"{"9" * 400}"')

# Wrong for every key, whatever its type: each must be refused with its key named.
ALWAYS_WRONG = (
    "{a = 1}",
    "[1, 2]",
    "inf",
    "-inf",
    "nan",
    "1e999",
    "-5",
    "1979-05-27T07:32:00Z",
)
# Wrong for some keys, fine for others: only the general properties apply.
SOMETIMES_WRONG = (
    '""',
    '"1e999"',
    '"-5m"',
    "0",
    "-0",
    "0.5",
    "true",
    '"true"',
    '"20 m"',
    '"\u0661\u0662m"',  # Arabic-Indic digits
    '"' + "x" * 20_000 + '"',
    "'literal'",
    '"""multi\nline"""',
    '["zoom", 3]',
    "[]",
    str(10**6),
    *HUGE,
)


@dataclass(frozen=True)
class Doc:
    """A mutated config file and, when the mutation must be refused, where and why."""

    data: bytes
    what: str
    key: str | None = None  # a dotted key that must appear in a problem line
    line: int | None = None  # ... on this 1-based line


def _doc(lines: list[str], what: str, key: str | None = None, line: int | None = None) -> Doc:
    return Doc(("\n".join(lines) + "\n").encode(), what, key, line)


@st.composite
def wrong_values(draw: st.DrawFn) -> Doc:
    index, key = draw(st.sampled_from(KEY_LINES))
    lines = list(LINES)
    leaf = key.rsplit(".", 1)[1]
    wrong = ALWAYS_WRONG + HUGE if _is_duration(key) else ALWAYS_WRONG
    if draw(st.booleans()):
        value = draw(st.sampled_from(wrong))
        lines[index] = f"{leaf} = {value}"
        return _doc(lines, f"{key} = {value}", key, index + 1)
    value = draw(st.sampled_from(SOMETIMES_WRONG))
    lines[index] = f"{leaf} = {value}"
    return _doc(lines, f"{key} = {value[:40]}")


def _near_misses(leaf: str) -> list[str]:
    misses = {leaf[:-1], leaf + "s", leaf[:1] + leaf, leaf.replace("_", "-"), leaf.upper()}
    misses |= {leaf[:i] + leaf[i + 1 :] for i in range(len(leaf))}
    return sorted(m for m in misses if m and m != leaf and re.fullmatch(r"[A-Za-z0-9_-]+", m))


@st.composite
def unknown_keys(draw: st.DrawFn) -> Doc:
    index, key = draw(st.sampled_from(KEY_LINES))
    table, leaf = key.rsplit(".", 1)
    miss = draw(st.sampled_from(_near_misses(leaf)))
    if f"{table}.{miss}" in KEYS:
        miss += "_x"
    lines = list(LINES)
    lines.insert(index + 1, f"{miss} = 1")
    return _doc(lines, f"unknown {table}.{miss}", f"{table}.{miss}", index + 2)


@st.composite
def broken_syntax(draw: st.DrawFn) -> Doc:
    """Delete one quote, bracket or equals sign, duplicate a key or cut the file."""
    how = draw(st.sampled_from(["delete", "duplicate", "cut"]))
    if how == "duplicate":
        index, key = draw(st.sampled_from(KEY_LINES))
        lines = list(LINES)
        lines.insert(index + 1, LINES[index])
        return _doc(lines, f"duplicate {key}")
    if how == "cut":
        at = draw(st.integers(0, len(DEFAULT)))
        return Doc(DEFAULT[:at].encode(), f"cut at {at}")
    spots = [i for i, c in enumerate(DEFAULT) if c in '"[]=' and not _in_comment(i)]
    at = draw(st.sampled_from(spots))
    return Doc((DEFAULT[:at] + DEFAULT[at + 1 :]).encode(), f"deleted {DEFAULT[at]!r} at {at}")


def _in_comment(offset: int) -> bool:
    start = DEFAULT.rfind("\n", 0, offset) + 1
    return "#" in DEFAULT[start:offset]


@st.composite
def raw_bytes(draw: st.DrawFn) -> Doc:
    """Random bytes (often invalid UTF-8) spliced into the file, or a very long line."""
    data = DEFAULT.encode()
    at = draw(st.integers(0, len(data)))
    if draw(st.booleans()):
        junk = draw(st.binary(min_size=1, max_size=64))
    else:
        junk = b"# " + b"y" * draw(st.integers(10_000, 300_000)) + b"\n"
    return Doc(data[:at] + junk + data[at:], f"{len(junk)} bytes at {at}")


documents = st.one_of(
    wrong_values(),
    unknown_keys(),
    broken_syntax(),
    raw_bytes(),
    st.binary(max_size=300).map(lambda b: Doc(b, "random bytes")),
)


@pytest.fixture(scope="module")
def private_layers() -> Iterator[Path]:
    """Empty user and system layers, and bugs raised rather than turned into exit 1
    (also used by test_fuzz_trace.py)."""
    with tempfile.TemporaryDirectory() as root, pytest.MonkeyPatch.context() as mp:
        for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
            directory = Path(root) / name.lower()
            directory.mkdir(mode=0o700)
            mp.setenv(name, str(directory))
        mp.setenv("ERGOD_SYSTEM_DIR", str(Path(root) / "etc"))
        mp.setenv("ERGOD_DEBUG", "1")
        yield Path(root)


def in_process(*argv: str) -> tuple[int, str, str]:
    """`ergod ARGV` in this process: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def installed(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `ergod ARGV` as a user runs it (no ERGOD_DEBUG), in `env`
    (default: this process's environment)."""
    env = {k: v for k, v in (env or os.environ).items() if k != "ERGOD_DEBUG"}
    return subprocess.run(
        [str(ERGOD), *argv], env=env, capture_output=True, text=True, errors="replace", timeout=30
    )


def check_in_process(path: Path) -> tuple[int, str, str]:
    return in_process("config", "check", str(path))


def assert_clear_answer(doc: Doc, path: Path, code: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err, doc.what
    assert code in (0, 2), (doc.what, code, err)
    if code == 0:
        # A valid file may still draw warnings (a duration no exercise set fills).
        *warnings, last = out.splitlines()
        assert last.startswith("ok: "), (doc.what, out)
        assert all(": warning: " in w for w in warnings), (doc.what, out)
        assert doc.key is None, f"{doc.what}: accepted"
        return
    problems = out.splitlines()
    assert problems, doc.what
    for problem in problems:
        assert problem.startswith(f"{path}:") or problem.startswith(f"{path} "), (doc.what, problem)
        assert len(problem) < len(str(path)) + 500, f"{doc.what}: a long value echoed whole"
    # Warnings (": warning: ") are listed beside the problems but not counted as such.
    count = len([p for p in problems if ": warning: " not in p])
    assert err == f"ergod: {count} problem{'s' if count != 1 else ''} found\n", (doc.what, err)
    if doc.key is not None:
        expected = f"{path}:{doc.line}:"
        assert any(p.startswith(expected) and doc.key in p for p in problems), (doc.what, out)


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=documents)
def test_config_check_answers_every_document_clearly(private_layers: Path, doc: Doc) -> None:
    path = private_layers / "fuzz.toml"
    path.write_bytes(doc.data)
    code, out, err = check_in_process(path)
    assert_clear_answer(doc, path, code, out, err)


@pytest.mark.e2e
@settings(max_examples=12, deadline=None)
@given(doc=documents)
def test_the_installed_ergod_answers_them_too(private_layers: Path, doc: Doc) -> None:
    path = private_layers / "fuzz-installed.toml"
    path.write_bytes(doc.data)
    done = installed("config", "check", str(path))
    assert_clear_answer(doc, path, done.returncode, done.stdout, done.stderr)


def test_the_default_file_itself_is_fine(private_layers: Path) -> None:
    path = private_layers / "default.toml"
    path.write_text(DEFAULT)
    assert check_in_process(path)[0] == 0


@pytest.mark.parametrize("key", ["metrics.interval", "store.retention", "breaks.stretch.every"])
@pytest.mark.parametrize("value", [str(10**30), '"99999999999999999999999999d"', '"36501d"'])
def test_durations_beyond_a_century_are_refused(private_layers: Path, key: str, value: str) -> None:
    # Before: config check said ok to metrics.interval = 10**30, then `ergod run`
    # died with an OverflowError inside APScheduler.
    table, leaf = key.rsplit(".", 1)
    path = private_layers / "huge.toml"
    path.write_text(f"[{table}]\n{leaf} = {value}\n")
    code, out, _ = check_in_process(path)
    assert code == 2
    assert (
        out
        == f"{path}:2:1: {key}: expected a duration of at most 36500d (100 years), found {value}\n"
    )


def test_a_long_notify_timeout_still_fits_the_wire() -> None:
    from ergod.notify.freedesktop import expire_timeout_ms

    assert expire_timeout_ms(36500 * 86400.0) == 2**31 - 1
    assert expire_timeout_ms(30.0) == 30_000


# ---- the running daemon: live reloads and the control socket ---------------------

# The daemon's known good configuration, observable through `status`: the next
# break is a stretch within 7 minutes (the defaults would say 20).
GOOD = '[breaks.stretch]\nevery = "7m"\n\n[breaks.movement]\nenabled = false\n'
GOOD_EVERY = 420.0


@dataclass
class Running:
    env: dict[str, str]
    user_file: Path
    daemon: Daemon
    pid: int

    @property
    def system_file(self) -> Path:
        return Path(self.env["ERGOD_SYSTEM_DIR"]) / "config.d" / "50-fuzz.toml"


@pytest.fixture(scope="module")
def running_daemon() -> Iterator[Running]:
    """One headless `ergod run` (schedule-only, console notices) with GOOD in force."""
    with tempfile.TemporaryDirectory() as root:
        env = private_env(Path(root))
        user_file = Path(env["XDG_CONFIG_HOME"]) / "ergod" / "config.toml"
        user_file.parent.mkdir(parents=True)
        user_file.write_text(GOOD)
        with Daemon(env) as daemon:
            first = wait_for(lambda: status(env), 15, "the control socket")
            yield Running(env, user_file, daemon, first["pid"])
            assert daemon.stop() == 0, daemon.output


def _good_still_in_force(running: Running) -> None:
    now = status(running.env)
    assert now is not None, "ergod status got no answer"
    assert now["pid"] == running.pid
    assert now["next"]["kind"] == "stretch", now["next"]
    assert 0 <= now["next"]["in_seconds"] <= GOOD_EVERY, now["next"]


@pytest.mark.e2e
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(doc=documents)
def test_a_live_reload_refuses_each_broken_config(running_daemon: Running, doc: Doc) -> None:
    system = running_daemon.system_file
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_bytes(doc.data)
    try:
        _refused_and_good_still_in_force(running_daemon)
    finally:
        system.unlink()


def _refused_and_good_still_in_force(running_daemon: Running) -> None:
    checked = installed("config", "check", env=running_daemon.env)
    if checked.returncode == 0:
        return  # a harmless mutation: nothing to refuse
    assert checked.returncode == 2, checked.stderr
    problems = [line for line in checked.stdout.splitlines() if line]
    refused = ergod(running_daemon.env, "reload")
    assert refused.returncode == 1, (refused.stdout, refused.stderr)
    assert "Traceback" not in refused.stderr
    assert "last good configuration" in refused.stderr
    # The daemon names the same file, line and key as `ergod config check`.
    for problem in problems:
        assert problem in refused.stderr, (problem, refused.stderr)
    _good_still_in_force(running_daemon)


@pytest.mark.e2e
@pytest.mark.parametrize("seed", range(3))
def test_a_burst_of_junk_on_the_control_socket(running_daemon: Running, seed: int) -> None:
    """Random bytes, oversized lines, JSON of the wrong shape and half-sent requests
    against the real daemon: each gets an error reply (or, if it left early, none),
    and `ergod status` answers from the same process afterwards."""
    rng = random.Random(seed)
    path = Path(running_daemon.env["XDG_RUNTIME_DIR"]) / "ergod" / "control.sock"
    for _ in range(40):
        payload, complete = _junk(rng)
        reply = _send(path, payload, complete)
        if complete:
            assert reply is not None, payload[:80]
            assert reply["ok"] is False and reply["error"], (payload[:80], reply)
    _good_still_in_force(running_daemon)
    assert ergod(running_daemon.env, "status").returncode == 0


def _junk(rng: random.Random) -> tuple[bytes, bool]:
    """A request the daemon must refuse, and whether it is sent whole."""
    shape = rng.choice(["bytes", "huge", "json", "command", "seconds", "half"])
    if shape == "bytes":
        return rng.randbytes(rng.randint(1, 4096)) + b"\n", True
    if shape == "huge":
        return b"{" + rng.randbytes(rng.randint(70_000, 2_000_000)), True
    if shape == "json":
        value = rng.choice(["[]", '"status"', "null", "1e999", '{"command": null}', "{}"])
        return value.encode() + b"\n", True
    if shape == "command":
        name = rng.choice(["", "STATUS ", "stop", "shutdown", "reload\u0000", "st\u00e4tus"])
        return json.dumps({"command": name}).encode() + b"\n", True
    if shape == "seconds":
        seconds = rng.choice([-1, 0, 1e308, "30", True, [1], 10**30])
        return json.dumps({"command": "pause", "seconds": seconds}).encode() + b"\n", True
    return b'{"command": "pau', False


def _send(path: Path, payload: bytes, complete: bool) -> dict[str, Any] | None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        try:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the daemon answered "too large" and closed while we were sending
        if not complete:
            return None
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    decoded: dict[str, Any] = json.loads(reply)
    return decoded


def test_a_long_value_is_shown_shortened(private_layers: Path) -> None:
    path = private_layers / "long.toml"
    path.write_text(f'[sitting]\nbreak_after = "{"x" * 300_000}"\n')
    code, out, _ = check_in_process(path)
    assert code == 2
    assert out.startswith(f"{path}:2:1: sitting.break_after: expected a duration")
    assert out.endswith(f'found "{"x" * 199}... (300002 characters)\n')


def test_a_stretch_longer_than_every_card_is_one_problem_and_one_warning(
    private_layers: Path,
) -> None:
    """Found by the fuzzing above: an 11-day stretch duration listed one warning per
    exercise set (13 lines) beside its one problem."""
    default = (Path(__file__).parent.parent / "config" / "default.toml").read_text()
    path = private_layers / "long-stretch.toml"
    path.write_text(default.replace('duration = "20s"', "duration = 1000000", 1))
    code, out, err = check_in_process(path)
    assert code == 2
    lines = out.splitlines()
    assert len(lines) == 2, out
    assert "expected less than breaks.stretch.every" in lines[0]
    assert ": warning: no set of stretch exercises" in lines[1]
    assert err == "ergod: 1 problem found\n"
