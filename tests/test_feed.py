"""The glance feed (ergod/daemon/feed.py) behind a real ControlServer and real sockets.

The test plays the engine thread: the feed's `refresh` hands it a job, and
it publishes readings the way the daemon does after every job. Clients are
the real `follow_replies`, raw sockets, and `ergod status --format` in-process.
"""

from __future__ import annotations

import json
import logging
import queue
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ergod.cli import main
from ergod.daemon.barview import Glance, Reading, State
from ergod.daemon.control import ControlServer, control_socket_path, follow_replies
from ergod.daemon.feed import Feed
from ergod.environment import Environment

LOG = logging.getLogger("test.feed")
TIMEOUT = 10.0


def reading(
    minutes: int | None = 3, state: State = State.OK, next_at: float | None = 60.0
) -> Reading:
    glance = Glance(
        state=state,
        sitting_minutes=minutes,
        next_kind="stretch",
        next_minutes=7,
        open_kind="stretch" if state is State.OPEN else None,
        percentage=10,
        paused=state is State.PAUSED,
        paused_until=None,
        quiet=(),
        mode="idle-first",
        source="x11",
    )
    return Reading(glance, next_at)


class Engine:
    """The test's engine thread: runs what `refresh` posts, on demand."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[str] = queue.Queue()

    def refresh(self) -> None:
        self.jobs.put("refresh")

    def wait_refresh(self) -> None:
        assert self.jobs.get(timeout=TIMEOUT) == "refresh"


class Follower:
    """`follow_replies` on a thread; every result lands in a queue."""

    def __init__(self, env: Environment) -> None:
        self.results: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(env,), daemon=True)
        self._thread.start()

    def _run(self, env: Environment) -> None:
        for result in follow_replies(env):
            self.results.put(result)
        self.results.put(None)  # the daemon hung up

    def next(self) -> dict[str, Any] | None:
        return self.results.get(timeout=TIMEOUT)


@pytest.fixture
def env() -> Iterator[Environment]:
    with tempfile.TemporaryDirectory(prefix="ergod-f") as path:
        yield Environment.from_os({"XDG_RUNTIME_DIR": path, "HOME": path})


@pytest.fixture
def engine() -> Engine:
    return Engine()


@pytest.fixture
def feed(env: Environment, engine: Engine) -> Iterator[Feed]:
    feed = Feed(engine.refresh, LOG)
    server = ControlServer(control_socket_path(env), _no_requests, LOG, follow=feed.follow)
    server.start()
    try:
        yield feed
    finally:
        server.stop()
        feed.stop()


def _no_requests(request: object) -> dict[str, object]:
    raise AssertionError(f"the follow request reached the request handler: {request}")


def wait_until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_a_follower_gets_the_glance_now_and_then_only_changes(
    env: Environment, engine: Engine, feed: Feed
) -> None:
    feed.publish(reading(2))  # before anyone follows: nobody hears it
    follower = Follower(env)
    engine.wait_refresh()
    feed.publish(reading(2))  # unchanged, but new to this follower
    assert follower.next() == reading(2).glance.to_json()
    feed.publish(reading(2))  # unchanged: no line
    feed.publish(reading(3))
    assert follower.next() == reading(3).glance.to_json()


def test_two_followers_each_get_every_change(env: Environment, engine: Engine, feed: Feed) -> None:
    first = Follower(env)
    engine.wait_refresh()
    feed.publish(reading(1))
    second = Follower(env)
    engine.wait_refresh()
    feed.publish(reading(1))
    feed.publish(reading(1, State.PAUSED))
    assert [first.next(), first.next()] == [
        reading(1).glance.to_json(),
        reading(1, State.PAUSED).glance.to_json(),
    ]
    assert [second.next(), second.next()] == [
        reading(1).glance.to_json(),
        reading(1, State.PAUSED).glance.to_json(),
    ]


def test_minutes_matter_only_while_someone_watches(
    env: Environment, engine: Engine, feed: Feed
) -> None:
    feed.publish(reading(4, next_at=300.0))
    assert feed.wake_at() is None
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(control_socket_path(env)))
        sock.sendall(b'{"command": "follow"}\n')
        engine.wait_refresh()
        assert feed.wake_at() == 300.0
    engine.wait_refresh()  # the hang-up
    assert feed.followers == 0
    assert feed.wake_at() is None


class Watching:
    watching = True

    def __init__(self) -> None:
        self.shown: list[Glance] = []

    def show(self, glance: Glance) -> None:
        self.shown.append(glance)


def test_a_sink_sees_changes_and_keeps_minutes_coming(feed: Feed) -> None:
    feed.publish(reading(1, next_at=120.0))
    sink = Watching()
    feed.add_sink(sink)  # gets the current glance at once
    feed.publish(reading(1, next_at=120.0))
    feed.publish(reading(2, next_at=180.0))
    assert sink.shown == [reading(1).glance, reading(2).glance]
    assert feed.wake_at() == 180.0
    feed.remove_sink(sink)
    assert feed.wake_at() is None


def test_stop_ends_every_follow(env: Environment, engine: Engine, feed: Feed) -> None:
    follower = Follower(env)
    engine.wait_refresh()
    feed.publish(reading(1))
    assert follower.next() is not None
    feed.stop()
    assert follower.next() is None


def test_a_follower_that_stops_reading_is_dropped(
    env: Environment, engine: Engine, feed: Feed
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(control_socket_path(env)))
        sock.sendall(b'{"command": "follow"}\n')
        engine.wait_refresh()
        minute = 0
        while feed.followers:
            minute += 1
            assert minute < 100_000, "the feed kept a follower that never reads"
            feed.publish(reading(minute))
        # What it did get is whole lines: a bar never sees half a line.
        sock.settimeout(TIMEOUT)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    lines = data.split(b"\n")
    assert lines[-1] == b""
    assert all(json.loads(line)["ok"] for line in lines[:-1])


def test_what_a_follower_sends_is_ignored(env: Environment, engine: Engine, feed: Feed) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(str(control_socket_path(env)))
        sock.sendall(b'{"command": "follow"}\n')
        engine.wait_refresh()
        sock.sendall(b"garbage\n" * 1000)
        feed.publish(reading(5))
        sock.settimeout(TIMEOUT)
        line = sock.makefile("rb").readline()
    assert json.loads(line)["result"]["sitting_minutes"] == 5


def test_status_format_prints_one_line_from_the_feed(
    env: Environment,
    engine: Engine,
    feed: Feed,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(env.runtime_dir))
    publisher = threading.Thread(target=lambda: (engine.wait_refresh(), feed.publish(reading(9))))
    publisher.start()
    assert main(["status", "--format", "waybar"]) == 0
    publisher.join()
    line = json.loads(capsys.readouterr().out)
    assert (line["text"], line["class"]) == ("sitting 9 min", "ok")


def test_status_format_without_a_daemon_says_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert main(["status", "--format", "text"]) == 0
    assert capsys.readouterr().out == "ergod off\n"
    assert main(["status", "--format", "i3blocks"]) == 0
    assert json.loads(capsys.readouterr().out)["full_text"] == "ergod off"


def test_json_and_format_do_not_mix(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["status", "--json", "--format", "text"])
    assert exit_.value.code == 2
