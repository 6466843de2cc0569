"""The X11 activity sources against a real Xvfb driven by xdotool.

Covers `X11Source` (MIT-SCREEN-SAVER idle + one-shot XRecord return watch),
`ListenerSource` (the pynput fallback), the shared `QuerySource` flow that
Windows and macOS use (through a fake of their one platform call only), the
loss of the X server, and privacy: a typed secret must not surface anywhere.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import require_tool, running_xvfb

from ergod.activity.base import SourceUnavailable
from ergod.activity.listener import ListenerSource, QuerySource
from ergod.activity.macos import MacOSSource
from ergod.activity.windows import WindowsSource, idle_from_ticks, load_idle_query
from ergod.activity.x11 import X11Source, probe
from ergod.daemon.clock import now

pytestmark = pytest.mark.x11

# Generous bounds for waits that succeed in milliseconds: they only stop a
# broken run from hanging, they measure nothing.
WAIT = 5.0
# The spec's bound on when a return is reported after the input.
RETURN_BOUND = 0.05
# The X server reports idle time in whole milliseconds, read a moment later.
IDLE_RESOLUTION = 0.005


@contextlib.contextmanager
def wrapped_xvfb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *extra: str
) -> Iterator[tuple[str, int]]:
    """The shared Xvfb starter, with `extra` arguments; yields (display, pid).

    A wrapper script first on PATH adds the arguments and records its pid
    (exec keeps it), so a test can kill exactly the server it started.
    """
    real = require_tool("Xvfb")
    require_tool("xdotool")
    bin_dir = tmp_path / "xvfb-bin"
    bin_dir.mkdir(exist_ok=True)
    pid_file = bin_dir / "pid"
    wrapper = bin_dir / "Xvfb"
    args = " ".join(extra)
    wrapper.write_text(f'#!/bin/sh\necho $$ > "{pid_file}"\nexec "{real}" {args} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    with running_xvfb() as display:
        monkeypatch.setenv("DISPLAY", display)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
        yield display, int(pid_file.read_text())


@pytest.fixture
def display(shared_xvfb: str, monkeypatch: pytest.MonkeyPatch) -> str:
    # One server for the session: each test makes its own input and reads
    # only times after it, and the tests that kill a server start their own.
    require_tool("xdotool")
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    return shared_xvfb


def xdotool(*args: str) -> tuple[float, float]:
    """Run one xdotool command; the daemon-clock times just before and after it."""
    before = now()
    subprocess.run(["xdotool", *args], check=True, timeout=WAIT)
    return before, now()


class Returns:
    """A watch callback that records every call and lets the test wait for one."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.thread: threading.Thread | None = None
        self._event = threading.Event()

    def __call__(self, t: float) -> None:
        self.times.append(t)
        self.thread = threading.current_thread()
        self._event.set()

    def wait(self) -> float:
        assert self._event.wait(WAIT), "the return was never reported"
        return self.times[0]


def settle(threads: Callable[[], list[threading.Thread]]) -> list[threading.Thread]:
    """Wait (bounded) until every thread from `threads()` has ended; the live ones."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        alive = [t for t in threads() if t.is_alive()]
        if not alive:
            return []
        time.sleep(0.01)
    return [t for t in threads() if t.is_alive()]


@pytest.fixture
def x11(display: str) -> Iterator[X11Source]:
    source = probe(now, os.environ)
    source.start()
    yield source
    source.stop()


def test_idle_time_gives_the_start_of_the_absence(x11: X11Source) -> None:
    before, after = xdotool("mousemove", "100", "100")
    time.sleep(0.3)
    idle = x11.idle_seconds()
    start = now() - idle
    assert idle >= 0.25
    assert before - IDLE_RESOLUTION <= start <= after + IDLE_RESOLUTION


def test_idle_time_restarts_at_each_input(x11: X11Source) -> None:
    time.sleep(0.2)
    assert x11.idle_seconds() >= 0.15
    xdotool("mousemove", "200", "150")
    assert x11.idle_seconds() < 0.15


def test_return_is_reported_within_50ms_of_a_mouse_move(x11: X11Source) -> None:
    returns = Returns()
    x11.watch_return(returns)
    before, after = xdotool("mousemove", "300", "200")
    t = returns.wait()
    assert before <= t <= after + RETURN_BOUND
    assert returns.thread is not threading.main_thread()


@pytest.mark.parametrize(
    "action",
    [
        ("type", "--delay", "0", "a"),
        ("key", "space"),
        ("click", "1"),
        ("click", "4"),  # scroll up
        ("click", "5"),  # scroll down
        ("mousemove_relative", "--", "-5", "3"),
    ],
    ids=["typing", "key", "click", "scroll-up", "scroll-down", "relative-move"],
)
def test_every_kind_of_input_ends_an_absence(x11: X11Source, action: tuple[str, ...]) -> None:
    returns = Returns()
    x11.watch_return(returns)
    before, after = xdotool(*action)
    assert before <= returns.wait() <= after + RETURN_BOUND


def test_watch_reports_once_and_its_listeners_stop(x11: X11Source) -> None:
    baseline = threading.active_count()
    returns = Returns()
    x11.watch_return(returns)
    watch_threads = x11.watch_threads()
    assert watch_threads and all(t.is_alive() for t in watch_threads)
    xdotool("mousemove", "10", "10")
    returns.wait()
    assert settle(lambda: watch_threads) == []
    xdotool("mousemove", "20", "20")
    xdotool("key", "space")
    assert len(returns.times) == 1
    assert threading.active_count() <= baseline


def test_a_cancelled_watch_never_calls_back(x11: X11Source) -> None:
    returns = Returns()
    x11.watch_return(returns)
    watch_threads = x11.watch_threads()
    x11.cancel_watch()
    assert [t for t in watch_threads if t.is_alive()] == []
    xdotool("mousemove", "30", "40")
    xdotool("key", "space")
    assert returns.times == []


def test_arming_again_replaces_the_callback(x11: X11Source) -> None:
    first, second = Returns(), Returns()
    x11.watch_return(first)
    x11.watch_return(second)
    before, after = xdotool("mousemove", "50", "60")
    assert before <= second.wait() <= after + RETURN_BOUND
    assert first.times == []


def test_stop_joins_an_armed_watch(x11: X11Source) -> None:
    x11.watch_return(Returns())
    watch_threads = x11.watch_threads()
    x11.stop()
    assert [t for t in watch_threads if t.is_alive()] == []
    with pytest.raises(SourceUnavailable):
        x11.idle_seconds()


def test_killed_x_server_makes_idle_time_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with wrapped_xvfb(tmp_path, monkeypatch) as (_display, pid):
        x11 = probe(now, os.environ)
        x11.start()
        fallback = ListenerSource(now)
        fallback.start()
        x11.watch_return(Returns())
        watch_threads = x11.watch_threads()
        x11.idle_seconds()
        os.kill(pid, signal.SIGKILL)
        assert settle(lambda: watch_threads + fallback.threads()) == []
        with pytest.raises(SourceUnavailable, match="lost the X server"):
            x11.idle_seconds()
        with pytest.raises(SourceUnavailable, match="listener stopped"):
            fallback.idle_seconds()
        x11.stop()
        fallback.stop()


def test_no_display_is_a_clear_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    with pytest.raises(SourceUnavailable, match=r"no display \(DISPLAY is not set\)"):
        probe(now, environ)
    with pytest.raises(SourceUnavailable, match="cannot open X display :4242"):
        probe(now, {"DISPLAY": ":4242"})


def test_the_x11_return_watch_loads_no_pynput(display: str) -> None:
    # The watch reads XRecord itself: pynput's keysym tables (about 3 MiB) never
    # load in the daemon, and no event is ever decoded into a key. In a fresh
    # process, since this one has loaded pynput for other tests.
    code = (
        "import os, subprocess, sys, threading\n"
        "from ergod.activity.x11 import probe\n"
        "from ergod.daemon.clock import now\n"
        "source = probe(now, os.environ)\n"
        "source.start()\n"
        "seen = threading.Event()\n"
        "source.watch_return(lambda t: seen.set())\n"
        "subprocess.run(['xdotool', 'mousemove', '33', '44'], check=True)\n"
        "print('returned' if seen.wait(5) else 'no return')\n"
        "source.stop()\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pynput'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["returned", "[]"]


def test_pynput_import_failure_becomes_source_unavailable() -> None:
    # pynput raises ImportError at import when no X display is reachable; in a
    # fresh process, as a daemon started outside the session would see it.
    code = (
        "from ergod.activity.listener import require_pynput\n"
        "from ergod.activity.base import SourceUnavailable\n"
        "try:\n    require_pynput()\n"
        "except SourceUnavailable as exc:\n    print('refused:', exc)\n"
    )
    env = dict(os.environ, DISPLAY=":4242")
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("refused: pynput cannot load")
    assert "Traceback" not in result.stderr


def test_fallback_listener_stores_the_last_input(display: str) -> None:
    source = ListenerSource(now)
    source.start()
    try:
        time.sleep(0.2)
        assert source.idle_seconds() >= 0.15
        before, after = xdotool("mousemove", "70", "80")
        deadline = time.monotonic() + WAIT
        while source.idle_seconds() > after - before + RETURN_BOUND:
            assert time.monotonic() < deadline, "the fallback never saw the input"
            time.sleep(0.01)
        returns = Returns()
        source.watch_return(returns)
        before, after = xdotool("key", "space")
        assert before <= returns.wait() <= after + RETURN_BOUND
        xdotool("mousemove", "90", "90")
        assert len(returns.times) == 1
    finally:
        threads = source.threads()
        source.stop()
    assert [t for t in threads if t.is_alive()] == []


# Windows and macOS: their one platform call is faked; the return watch is the
# real pynput listener (here its X11 backend), exactly as in the real class.


class FakeIdle:
    """Stands in for GetLastInputInfo / CGEventSourceSecondsSinceLastEventType."""

    def __init__(self) -> None:
        self.last_input = now()

    def __call__(self) -> float:
        return now() - self.last_input


@pytest.mark.parametrize("cls", [WindowsSource, MacOSSource])
def test_platform_sources_answer_from_their_query(
    display: str, cls: Callable[[Any, Callable[[], float]], QuerySource]
) -> None:
    idle = FakeIdle()
    idle.last_input = now() - 42.0
    source = cls(now, idle)
    source.start()
    assert 42.0 <= source.idle_seconds() < 43.0
    returns = Returns()
    source.watch_return(returns)
    before, after = xdotool("mousemove", "15", "25")
    assert before <= returns.wait() <= after + RETURN_BOUND
    source.stop()


def test_input_while_the_watch_starts_is_not_lost(display: str) -> None:
    # The user came back after arming but before the listeners were ready: no
    # listener saw that input, only the idle query did (it answers 0 s idle).
    source = WindowsSource(now, lambda: 0.0)
    returns = Returns()
    armed = now()
    source.watch_return(returns)
    assert armed <= returns.wait() <= now()
    xdotool("mousemove", "35", "45")
    assert len(returns.times) == 1
    source.stop()


@pytest.mark.parametrize(
    ("now_ms", "last_ms", "idle"),
    [
        (10_000, 4_000, 6.0),
        (2**32 + 500, 2**32 - 1_500, 2.0),  # the 32-bit tick wrapped after the input
        (5 * 2**32 + 7, 7, 0.0),
    ],
)
def test_windows_tick_arithmetic_survives_the_wrap(now_ms: int, last_ms: int, idle: float) -> None:
    assert idle_from_ticks(now_ms, last_ms & 0xFFFFFFFF) == idle


def test_platform_queries_refuse_to_load_elsewhere() -> None:
    if sys.platform != "win32":
        with pytest.raises(SourceUnavailable, match="not running on Windows"):
            load_idle_query()


# Privacy: no source may keep, log or print which key was typed.

SECRET = "qzv7xkwj3p"


def _reachable(roots: list[object], depth: int) -> Iterator[object]:
    seen: set[int] = set()
    frontier = list(roots)
    for _ in range(depth):
        following: list[object] = []
        for obj in frontier:
            if id(obj) in seen or isinstance(obj, type) or type(obj).__name__ == "module":
                continue
            seen.add(id(obj))
            yield obj
            following.extend(gc.get_referents(obj))
        frontier = following


def test_a_typed_secret_leaves_no_trace(
    display: str, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fallback = ListenerSource(now)
    fallback.start()
    x11 = probe(now, os.environ)
    x11.start()
    returns = Returns()
    x11.watch_return(returns)
    fallback.watch_return(Returns())
    xdotool("type", "--delay", "5", SECRET)
    returns.wait()
    roots: list[object] = [fallback, x11, returns]
    found = []
    for obj in _reachable(roots, depth=6):
        if isinstance(obj, (str, bytes)) and SECRET[:4] in (
            obj if isinstance(obj, str) else obj.decode("latin-1")
        ):
            found.append(obj)
        if type(obj).__name__ in ("KeyCode", "Key", "Button"):
            found.append(obj)
    x11.stop()
    fallback.stop()
    out, err = capfd.readouterr()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for text in (out, err, logged):
        assert SECRET[:4] not in text
    assert found == []
