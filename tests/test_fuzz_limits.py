"""Input that is too much: deep nesting, tiny intervals, endless traces (issue 17, items 7, 15, 17).

* Arrays or inline tables nested hundreds deep, and dotted keys of thousands
  of parts, gave "internal error: RecursionError" (or a minute of CPU) in
  `config check`, `run`, `simulate`, a reload and `config set`: now a config
  error with file, line and column, at once. Hypothesis builds random nests.
* Every key that sets how often something happens has a minimum
  (`metrics.interval = "0.001s"` cost 71% of a core).
* `simulate --trace` gets the limits configuration files have: /dev/zero ran
  out of memory, a FIFO with no writer hung.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from daemon_support import Daemon, ergod, private_env, status, wait_for
from hypothesis import given, settings
from hypothesis import strategies as st

from ergod.config.document import MAX_DEPTH, MAX_KEY_PARTS, parse_text
from ergod.config.errors import Problem

ERGOD = Path(sys.executable).with_name("ergod")
EXPECTED = "expected a configuration file ergod can read, found"
DEEP = {
    "arrays": ("[sitting]\nbreak_after = " + "[" * 600 + "]" * 600 + "\n", 2, 47),
    "inline tables": ("x = " + "{a = " * 600 + "1" + "}" * 600 + "\n", 1, 165),
    "a dotted key": ("[sitting]\n" + "a." * 40_000 + "b = 1\n", 2, 64),
    "a dotted table": ("[" + "a." * 40_000 + "b]\nc = 1\n", 1, 65),
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return private_env(tmp_path)


def _deep_file(tmp_path: Path, name: str) -> tuple[Path, str]:
    text, line, column = DEEP[name]
    path = tmp_path / "deep.toml"
    path.write_text(text)
    return path, f"{path}:{line}:{column}: {EXPECTED}"


def _run(env: dict[str, str], *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    # Before: a dotted key of 40,000 parts took over a minute to be refused.
    return subprocess.run(
        [str(ERGOD), *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize("name", DEEP)
def test_config_check_names_the_line(env: dict[str, str], tmp_path: Path, name: str) -> None:
    path, where = _deep_file(tmp_path, name)
    done = _run(env, "config", "check", str(path))
    assert done.returncode == 2, done.stderr
    assert done.stdout.startswith(where), done.stdout
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


@pytest.mark.parametrize("name", ["arrays", "a dotted key"])
def test_run_and_simulate_name_the_line(env: dict[str, str], tmp_path: Path, name: str) -> None:
    path, where = _deep_file(tmp_path, name)
    trace = tmp_path / "trace.csv"
    trace.write_text("0,input\n60,input\n")
    simulate = ("simulate", "--trace", str(trace), "--config", str(path))
    for argv in (("run", "--config", str(path)), simulate):
        done = _run(env, *argv)
        assert done.returncode == 2, (argv, done.stderr)
        assert where in done.stderr, (argv, done.stderr)
        assert "internal error" not in done.stderr


def test_a_reload_names_the_line(env: dict[str, str], tmp_path: Path) -> None:
    site = Path(env["ERGOD_SYSTEM_DIR"]) / "config.d" / "50-site.toml"
    site.parent.mkdir(parents=True)
    with Daemon(env) as daemon:
        first = wait_for(lambda: status(env), 15, "the control socket")
        site.write_text(DEEP["arrays"][0])
        refused = ergod(env, "reload")
        assert refused.returncode == 1
        assert f"{site}:2:47: {EXPECTED}" in refused.stderr, refused.stderr
        assert (status(env) or {}).get("pid") == first["pid"]
        assert daemon.stop() == 0


def test_config_set_refuses_to_edit_a_deep_file(env: dict[str, str]) -> None:
    user = Path(env["XDG_CONFIG_HOME"]) / "ergod" / "config.toml"
    user.parent.mkdir(parents=True)
    user.write_text(DEEP["inline tables"][0])
    done = _run(env, "config", "set", "sitting.break_after", "4m")
    assert done.returncode == 2, done.stderr
    assert "not valid TOML; fix it first" in done.stderr and "internal error" not in done.stderr
    assert user.read_text() == DEEP["inline tables"][0]
    value = _run(env, "config", "set", "quiet.processes", "[" * 600 + "]" * 600)
    assert value.returncode == 2 and "internal error" not in value.stderr


@st.composite
def nests(draw: st.DrawFn) -> tuple[str, int, int]:
    """A TOML line nested at random: (text, nesting depth, key parts)."""
    depth = draw(st.integers(0, 3 * MAX_DEPTH))
    parts = draw(st.integers(1, 3 * MAX_KEY_PARTS))
    opens = draw(st.lists(st.sampled_from(["[", "{a = "]), min_size=depth, max_size=depth))
    closes = "".join("]" if o == "[" else "}" for o in reversed(opens))
    key = ".".join(draw(st.sampled_from(["k", '"q.d"', "'l'"])) for _ in range(parts))
    noise = draw(st.sampled_from(["", "# [[[{{{ a.b.c\n", 's = "[{.}]"\n', "m = '''\n[[\n'''\n"]))
    return f"{noise}{key} = {''.join(opens)}1{closes}\n", depth, parts


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@settings(max_examples=300, deadline=None)
@given(nest=nests())
def test_any_nesting_is_read_or_refused_with_its_line(nest: tuple[str, int, int]) -> None:
    text, depth, parts = nest
    found = parse_text(text, Path("x.toml"))
    if depth > MAX_DEPTH or parts > MAX_KEY_PARTS:
        assert isinstance(found, Problem) and found.line == text.count("\n"), found
        assert found.expected == "a configuration file ergod can read"
    elif isinstance(found, Problem):  # within the limits: only TOML's own complaints
        assert found.expected == "valid TOML", found


# ---- every interval has a minimum (item 15) ----------------------------------------

MINIMUMS = {
    "metrics.interval": ("9s", "10s"),
    "store.retention": ("23h", "1d"),
    "breaks.stretch.every": ("0.05s", "0.1s"),
    "breaks.movement.repeat": ("0.001s", "0.1s"),
    "breaks.stretch.snooze": ("0.09s", "0.1s"),
    "breaks.movement.duration": ("0.01s", "0.1s"),
    "sitting.break_after": ("0.001s", "0.1s"),
    "activity.presence": ("0s", "0.1s"),
    "notify.timeout": ("0.01s", "0.1s"),
    "quiet.max_pause": ("30s", "1m"),
}


@pytest.mark.parametrize("key", MINIMUMS)
def test_an_interval_below_its_minimum_is_refused(
    env: dict[str, str], tmp_path: Path, key: str
) -> None:
    below, minimum = MINIMUMS[key]
    table, leaf = key.rsplit(".", 1)
    path = tmp_path / "fast.toml"
    path.write_text(f'[{table}]\n{leaf} = "{below}"\n')
    done = _run(env, "config", "check", str(path))
    assert done.returncode == 2
    assert f"{path}:2:1: {key}: expected " in done.stdout
    assert f"a duration of at least {minimum}, found" in done.stdout
    path.write_text(f'[{table}]\n{leaf} = "{minimum}"\n')
    at_minimum = _run(env, "config", "check", str(path))  # (other rules may still object)
    assert f"{key}: expected a duration of at least" not in at_minimum.stdout


# ---- simulate --trace gets the limits config files have (item 17) ------------------


def test_an_endless_trace_is_refused_not_read_into_memory(env: dict[str, str]) -> None:
    done = _run(env, "simulate", "--trace", "/dev/zero", timeout=60)
    assert done.returncode == 2
    assert done.stderr.startswith("ergod: /dev/zero: cannot read trace: more than 64 MiB")


def test_a_fifo_with_no_writer_is_refused_after_a_short_wait(
    env: dict[str, str], tmp_path: Path
) -> None:
    fifo = tmp_path / "trace.fifo"
    os.mkfifo(fifo)
    done = _run(env, "simulate", "--trace", str(fifo))  # before: hung until killed
    assert done.returncode == 2
    assert "nothing arrived within 2 s" in done.stderr


def test_a_trace_through_a_pipe_still_works(env: dict[str, str], tmp_path: Path) -> None:
    fifo = tmp_path / "trace.fifo"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "w") as f:
            f.write("0,input\n1500,input\n")

    thread = threading.Thread(target=writer)
    thread.start()
    done = _run(env, "simulate", "--trace", str(fifo), "--json")
    thread.join(timeout=10)
    assert done.returncode == 0, done.stderr
    assert '"reminders"' in done.stdout
