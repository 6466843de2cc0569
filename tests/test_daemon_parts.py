"""The daemon's parts in-process: the real classes, fake time, user, desktop and screen.

Each part of ergod/daemon/ is tested on its own (the job loop, backoff, the
activity and session links, the effect sink, the daily limit, quiet control,
the clock-step watch), then the runtime and the control API over parts built
the way `compose` builds them, with `FakeSource`, `FakeSession` and
`FakeNotifier` in place of the desktop and a real SQLite store in tmp_path.
Nothing here starts a server or a subprocess.
"""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from daemon_fakes import FakeNotifier, FakeSession, FakeSource, VirtualClock

from ergod.activity import SourceChoice
from ergod.activity.base import SessionEvent, SourceUnavailable
from ergod.activity.suspend import ClockReading
from ergod.core import Engine, EventKind, Rules
from ergod.core.presence import Presence
from ergod.daemon.activity_link import ActivityLink
from ergod.daemon.api import ControlApi, StatusView
from ergod.daemon.backoff import Backoff
from ergod.daemon.compose import Clocks, Parts, Settings, Spans
from ergod.daemon.daily import TITLE, DailyLimit, daily_notice
from ergod.daemon.effects import EffectSink, MetricsFile
from ergod.daemon.loop import Heartbeat, JobLoop
from ergod.daemon.panel import Panel
from ergod.daemon.protocol import Command, ControlError, Request
from ergod.daemon.quiet import QuietControl
from ergod.daemon.recorder import Recorder
from ergod.daemon.runtime import Runtime
from ergod.daemon.sdnotify import notify
from ergod.daemon.session_link import SessionLink
from ergod.daemon.steps import PolledSteps, TimerfdSteps
from ergod.daemon.wakeups import Wakeups
from ergod.environment import Environment
from ergod.notify import FallbackNotifier, NotifierChoice
from ergod.store.reader import BreakRow

LOG = logging.getLogger("test.daemon")


def eventually(check: object, what: str, timeout: float = 10.0) -> None:
    """Poll `check()` until true; a safety net, not a speed assertion."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


# ---- the job loop ------------------------------------------------------------


@pytest.fixture
def loop() -> Iterator[JobLoop]:
    loop = JobLoop(LOG)
    yield loop
    loop.close()


def serve_in_thread(loop: JobLoop, after: list[str] | None = None) -> threading.Thread:
    def after_job() -> None:
        if after is not None:
            after.append("sync")

    thread = threading.Thread(target=loop.serve, args=(after_job,), daemon=True)
    thread.start()
    return thread


def test_jobs_run_in_order_on_the_serving_thread_with_a_sync_after_each(loop: JobLoop) -> None:
    seen: list[object] = []
    after: list[str] = []
    loop.post(lambda: seen.append(("a", threading.current_thread().name)))
    loop.post(lambda: seen.append("b"))
    thread = serve_in_thread(loop, after)
    assert loop.call(lambda: 42, timeout=5) == 42
    loop.stop()
    thread.join(5)
    assert not thread.is_alive()
    assert seen == [("a", thread.name), "b"]
    assert after == ["sync"] * 3


def test_a_failing_job_is_logged_and_the_loop_goes_on(
    loop: JobLoop, caplog: pytest.LogCaptureFixture
) -> None:
    thread = serve_in_thread(loop)

    def boom() -> int:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        loop.call(boom, timeout=5)  # call() hands the job's error to the caller
    loop.post(lambda: 1 / 0)
    assert loop.call(lambda: "alive", timeout=5) == "alive"
    loop.stop()
    thread.join(5)
    assert "internal error; ergod carries on" in caplog.text


def test_a_call_that_the_loop_does_not_run_in_time_times_out(loop: JobLoop) -> None:
    with pytest.raises(TimeoutError):
        loop.call(lambda: 1, timeout=0.2)  # nobody serves


class NotifySocket:
    """A real sd_notify datagram socket, as systemd listens on one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.times: list[float] = []

    def drain(self) -> list[float]:
        while True:
            try:
                if self.sock.recv(64) == b"WATCHDOG=1":
                    self.times.append(time.monotonic())
            except TimeoutError:
                return self.times


def test_the_watchdog_is_fed_by_the_loop_and_stops_while_a_job_stalls(tmp_path: Path) -> None:
    """Issue 17 item 6: a stalled engine thread must stop the pings."""
    dgram = NotifySocket(tmp_path / "notify")
    environ = {"NOTIFY_SOCKET": str(dgram.path)}
    loop = JobLoop(LOG, Heartbeat(0.05, lambda: notify("WATCHDOG=1", environ)))
    thread = serve_in_thread(loop)
    try:
        eventually(lambda: len(dgram.drain()) >= 3, "pings from an idle loop")
        release = threading.Event()
        stalled = threading.Event()

        def stall() -> None:
            stalled.set()
            release.wait(10)

        loop.post(stall)
        stalled.wait(5)
        time.sleep(0.1)
        before = len(dgram.drain())
        time.sleep(0.5)  # ten intervals with the engine thread stuck
        assert len(dgram.drain()) == before, "pings went on while the engine thread stalled"
        release.set()
        eventually(lambda: len(dgram.drain()) > before, "pings after the stall")
    finally:
        loop.stop()
        thread.join(5)
        loop.close()


def test_backoff_doubles_up_to_the_longest_and_resets() -> None:
    backoff = Backoff(10.0, 35.0)
    assert backoff.due is None and not backoff.ready(1e9)
    backoff.arm(100.0)
    assert backoff.due == 110.0 and not backoff.ready(109.0) and backoff.ready(110.0)
    waits = []
    for now in (110.0, 130.0, 170.0, 205.0):
        backoff.failed(now)
        assert backoff.due is not None
        waits.append(backoff.due - now)
    assert waits == [20.0, 35.0, 35.0, 35.0]
    backoff.done()
    assert backoff.due is None


# ---- the activity link -------------------------------------------------------


class SpanLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, float | None]] = []

    def activity_resumed(self, last_input: float) -> None:
        self.events.append(("resumed", last_input))

    def absence_began(self, last_input: float | None) -> None:
        self.events.append(("absence", last_input))


def make_link(
    clock: VirtualClock, source: FakeSource | None, spans: SpanLog | None = None
) -> tuple[ActivityLink, list[FakeSource]]:
    """A link over `source` (None: nothing found at start); `select` hands out
    `source` again, or whatever the test puts in the returned list."""
    offered: list[FakeSource] = [] if source is None else [source]
    choice = SourceChoice(source, "fake") if source else SourceChoice(None, "none", (("x", "no"),))

    def select() -> SourceChoice:
        if not offered or offered[-1].broken:
            raise SourceUnavailable("still gone")
        return SourceChoice(offered[-1], offered[-1].name)

    link = ActivityLink(
        Presence(Engine(Rules())),
        choice,
        select,
        clock=clock,
        read_clocks=lambda: ClockReading(clock(), clock()),
        spans=spans or SpanLog(),
        log=LOG,
        first_wait=lambda default: 10.0,
    )
    return link, offered


def test_the_return_watch_is_armed_exactly_while_presence_wants_it() -> None:
    clock = VirtualClock()
    source = FakeSource(clock)
    spans = SpanLog()
    link, _ = make_link(clock, source, spans)
    returns: list[float] = []
    link.start(returns.append)
    link.sync()
    assert source.watch is not None  # before the first input: watching
    source.type_at(clock.advance(1))
    assert returns == [clock()]
    link.returned(clock())
    link.sync()
    assert source.watch is None and link.mode == "idle-first"
    assert spans.events == [("absence", None), ("resumed", clock())]
    # Away past the threshold: the next tick sees the absence and arms again.
    clock.advance(link.presence.threshold + 5)
    link.tick(clock())
    link.sync()
    assert source.watch is not None
    assert spans.events[-1] == ("absence", clock() - link.presence.threshold - 5)


def test_a_broken_source_falls_back_and_is_tried_again_with_growing_waits(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    clock = VirtualClock()
    source = FakeSource(clock)
    link, offered = make_link(clock, source)
    link.start(lambda t: None)
    source.broken = True
    assert link.idle() is None
    assert link.mode == "schedule-only" and link.idle() == 0.0
    assert "activity source fake failed" in caplog.text
    first = link.retry_at
    assert first == clock() + 10.0
    clock.t = first
    link.retry(clock())
    assert link.retry_at == clock() + 20.0  # still broken: twice the wait
    fresh = FakeSource(clock, "fake")
    offered.append(fresh)
    clock.t = link.retry_at
    link.retry(clock())
    assert link.mode == "idle-first" and fresh.started == 1 and link.retry_at is None
    assert "activity source fake works again" in caplog.text


def test_with_no_source_found_at_start_the_link_looks_again() -> None:
    clock = VirtualClock()
    link, offered = make_link(clock, None)
    link.start(lambda t: None)
    assert link.mode == "schedule-only" and link.retry_at == clock() + 10.0
    offered.append(FakeSource(clock, "late"))
    clock.t = link.retry_at
    link.retry(clock())
    assert link.choice.name == "late" and link.mode == "idle-first"


def test_a_suspend_seen_only_in_the_clocks_becomes_sleep_and_wake() -> None:
    clock = VirtualClock()
    monotonic = [clock()]
    source = FakeSource(clock)
    link = ActivityLink(
        Presence(Engine(Rules())),
        SourceChoice(source, "fake"),
        lambda: SourceChoice(source, "fake"),
        clock=clock,
        read_clocks=lambda: ClockReading(clock(), monotonic[0]),
        spans=SpanLog(),
        log=LOG,
    )
    link.start(lambda t: None)
    clock.advance(3600)  # boottime ran on, monotonic did not
    link.check_suspend()
    assert link.engine.view(clock()).asleep is False
    assert link.idle() is None  # the idle counter is not trusted until a return


# ---- the session link --------------------------------------------------------


def test_a_session_source_whose_bus_went_away_is_probed_again_until_it_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    made: list[FakeSession] = []
    failing = [False]

    def probe() -> FakeSession:
        if failing[0]:
            raise SourceUnavailable("screensaver: no bus")
        made.append(FakeSession("screensaver"))
        return made[-1]

    def absent() -> FakeSession:
        raise SourceUnavailable("logind: no system bus")

    heard: list[tuple[SessionEvent, float]] = []
    link = SessionLink([("logind", absent), ("screensaver", probe)], LOG, first_wait=5.0)
    link.start(lambda event, t: heard.append((event, t)))
    assert len(made) == 1 and made[0].callback is not None
    made[0].emit(SessionEvent.LOCK, 1.0)
    link.check(10.0)
    assert link.retry_at is None

    made[0].alive = False
    failing[0] = True
    link.check(20.0)
    assert made[0].stopped and link.retry_at == 25.0
    assert "lock/suspend signals from screensaver lost" in caplog.text
    link.check(25.0)  # still no bus: wait twice as long
    assert link.retry_at == 35.0
    failing[0] = False
    link.check(35.0)
    assert len(made) == 2 and not made[1].stopped and link.retry_at is None
    made[1].emit(SessionEvent.UNLOCK, 36.0)
    assert heard == [(SessionEvent.LOCK, 1.0), (SessionEvent.UNLOCK, 36.0)]
    assert "are back" in caplog.text
    assert len(made) == 2  # logind, absent at start, is never looked for again


# ---- quiet control -----------------------------------------------------------


class Probe:
    name = "processes"
    quiet = True
    attended = False

    def __init__(self) -> None:
        self.answer: str | None = None
        self.asked = 0
        self.closed = False

    def check(self) -> str | None:
        self.asked += 1
        return self.answer

    def close(self) -> None:
        self.closed = True


def test_quiet_control_folds_pause_schedule_and_probes(tmp_path: Path) -> None:
    clock = VirtualClock()
    settings = Settings(make_env(tmp_path), (), LOG)
    probe = Probe()
    quiet = QuietControl([probe], settings.config.schedule, lambda: clock.wall())
    assert quiet.update(clock(), ask_probes=False) == [] and probe.asked == 0
    probe.answer = "zoom is running"
    assert quiet.update(clock(), ask_probes=True) == [EventKind.QUIET_START]
    assert quiet.reasons(clock()) == ("zoom is running",)
    assert quiet.next_check(clock()) == clock() + 60.0
    quiet.pause(clock(), 120.0)
    probe.answer = None
    assert quiet.update(clock(), ask_probes=True) == []
    assert quiet.reasons(clock()) == ("paused",)
    assert quiet.next_check(clock()) == clock() + 120.0
    was, events = quiet.resume(clock())
    assert was and events == [EventKind.QUIET_END]
    quiet.reconfigure(settings.config.schedule, [])
    assert probe.closed


class CallProbe(Probe):
    """A microphone probe's shape: a call is quiet time and attended time."""

    name = "calls"
    attended = True


def test_a_call_is_attended_and_quiet_and_a_lock_ends_attended_time(tmp_path: Path) -> None:
    clock = VirtualClock()
    settings = Settings(make_env(tmp_path), (), LOG)
    probe = CallProbe()
    quiet = QuietControl([probe], settings.config.schedule, lambda: clock.wall())
    probe.answer = "in a call: microphone in use by parecord"
    events = quiet.update(clock(), ask_probes=True)
    assert events == [EventKind.ATTEND_START, EventKind.QUIET_START]
    assert quiet.attended and quiet.attended_reasons() == (probe.answer,)
    assert quiet.next_check(clock()) == clock() + 5.0  # every 5 s while attended
    # Counted from the round, not from each job that asks (status calls).
    assert quiet.next_check(clock() + 3.0) == clock() + 5.0
    quiet.session_ended()  # a lock went to the engine
    assert quiet.update(clock(), ask_probes=True) == [EventKind.ATTEND_START]
    probe.answer = None
    assert quiet.update(clock(), ask_probes=True) == [EventKind.QUIET_END, EventKind.ATTEND_END]
    assert not quiet.attended and quiet.next_check(clock()) is None


# ---- the clock-step watch ----------------------------------------------------


def test_polled_steps_notice_a_step_of_the_wall_clock() -> None:
    shift = [0.0]
    steps = PolledSteps(
        time.monotonic,
        lambda: datetime.now(timezone.utc) + timedelta(seconds=shift[0]),
        period=0.05,
    )
    seen = threading.Event()
    steps.start(seen.set)
    try:
        time.sleep(0.2)
        assert not seen.is_set()
        shift[0] = -3600.0
        assert seen.wait(10)
    finally:
        steps.stop()


def test_the_timerfd_watch_sleeps_until_stopped() -> None:
    """The real timerfd: armed cancel-on-set, no call without a clock step, and
    `stop()` ends its thread at once. (Setting the clock to see it fire needs
    CAP_SYS_TIME on a shared machine; the fault tests drive a step instead.)"""
    steps = TimerfdSteps()
    calls: list[int] = []
    steps.start(lambda: calls.append(1))
    threads = [t for t in threading.enumerate() if t.name == "ergod-clock-steps"]
    assert len(threads) == 1
    time.sleep(0.2)
    steps.stop()
    assert not threads[0].is_alive() and calls == []


# ---- the runtime and the control API over real parts ---------------------------


def make_env(tmp_path: Path, config: str = "", policy: str = "") -> Environment:
    for name in ("etc", "config", "state", "run"):
        (tmp_path / name).mkdir(mode=0o700, exist_ok=True)
    if config:
        (tmp_path / "config" / "ergod").mkdir(exist_ok=True)
        (tmp_path / "config" / "ergod" / "config.toml").write_text(config)
    if policy:
        (tmp_path / "etc" / "policy.d").mkdir(exist_ok=True)
        (tmp_path / "etc" / "policy.d" / "it.toml").write_text(policy)
    return Environment(
        system_dir=tmp_path / "etc",
        config_home=tmp_path / "config",
        state_home=tmp_path / "state",
        runtime_dir=tmp_path / "run",
        home=tmp_path,
        environ={"TZ": "UTC"},
    )


FAST = """
[sitting]
daily_limit = "{limit}"
[breaks.stretch]
every = "60s"
duration = "10s"
grace = "30s"
repeat = "30s"
snooze = "20s"
[breaks.movement]
enabled = false
[notify]
backend = "console"
"""


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local time is UTC (tzlocal reads TZ), so local midnights are known."""
    monkeypatch.setenv("TZ", "UTC")


@dataclass
class World:
    clock: VirtualClock
    source: FakeSource
    notifier: FakeNotifier
    runtime: Runtime
    api: ControlApi
    recorder: Recorder

    def user_types_until(self, end: float, step: float = 5.0) -> None:
        """Input every `step` s up to `end`, the daemon doing what it would."""
        while self.clock() < end:
            self.clock.advance(step)
            self.source.type_at(self.clock())
            self.runtime.tick()
            self.runtime.sync()


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest, utc: None) -> Iterator[World]:
    limit, policy = getattr(request, "param", ("0", ""))
    env = make_env(tmp_path, FAST.format(limit=limit), policy)
    clock = VirtualClock(wall=datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc))
    settings = Settings(env, (), LOG)
    wakeups = Wakeups(clock, clock.wall)
    recorder = Recorder(settings.config.store.db_path(env), wakeups.local, LOG)
    fake = FakeNotifier()
    notify = NotifierChoice(FallbackNotifier([fake], LOG), ("fake",), (), "fake")
    sink = EffectSink(notify, recorder, lambda: wakeups.local_now().date(), LOG)

    def notice(t: float, active: float) -> None:
        sink.notice(daily_notice(active, 30.0))
        recorder.daily_limit(t, active)

    daily = DailyLimit(settings.config.sitting.daily_limit, wakeups.local, notice, recorder.earlier)
    source = FakeSource(clock)
    link = ActivityLink(
        Presence(Engine(settings.rules)),
        SourceChoice(source, "fake"),
        lambda: SourceChoice(source, "fake"),
        clock=clock,
        read_clocks=lambda: ClockReading(clock(), clock()),
        spans=Spans((recorder, daily)),
        log=LOG,
    )
    loop = JobLoop(LOG)
    parts = Parts(
        env=env,
        clocks=Clocks(
            clock,
            clock.wall,
            lambda: ClockReading(clock(), clock()),
            PolledSteps(clock, clock.wall),
        ),
        loop=loop,
        log=LOG,
        settings=settings,
        link=link,
        sessions=SessionLink([], LOG),
        sink=sink,
        recorder=recorder,
        metrics=MetricsFile(env, LOG),
        daily=daily,
        quiet=QuietControl([], settings.config.schedule, wakeups.local_now),
        wakeups=wakeups,
        panel=Panel(LOG, lambda: loop.post(lambda: None)),
        started=clock(),
    )
    runtime = Runtime(parts)
    recorder.start(clock())
    link.start(lambda t: loop.post(lambda: runtime.returned(t)))
    yield World(clock, source, fake, runtime, ControlApi(runtime), recorder)
    recorder.stop(clock(), link.engine.last_input)
    parts.panel.stop()
    loop.close()


def test_status_view_fields_are_the_status_json_keys(world: World) -> None:
    world.runtime.tick()
    world.runtime.sync()
    result = world.api.answer(Request(Command.STATUS))
    assert list(result) == [f.name for f in fields(StatusView)]
    assert result["source"] == {
        "name": "fake",
        "protocol": "",
        "mode": "idle-first",
        "tried": (),
        "advice": "",
        "why": "",
    }


def test_a_snooze_for_a_given_length_reaches_the_engine(world: World) -> None:
    with pytest.raises(ControlError, match="nothing to snooze"):
        world.api.answer(Request(Command.SNOOZE, 30.0))
    world.user_types_until(world.clock() + 61)
    assert world.notifier.titles() == ["Stretch break"]
    labels = [a.label for a in world.notifier.shown[0].actions]
    assert labels == ["Snooze 20 s", "Skip", "This hurts"]  # under a minute, the button stays
    reply = world.api.answer(Request(Command.SNOOZE, 45.0))
    assert reply == {"message": "stretch break snoozed for 45 s"}
    stretch = world.runtime.parts.link.engine.view(world.clock()).kinds[1]
    assert stretch.next_prompt == pytest.approx(world.clock() + 45.0)


@pytest.mark.parametrize(
    "world", [("0", '[bounds]\n"breaks.stretch.snooze" = ["10s", "1m"]\n')], indirect=True
)
def test_a_snooze_outside_the_policy_bounds_is_refused(world: World) -> None:
    world.user_types_until(world.clock() + 61)
    with pytest.raises(
        ControlError, match=r'a snooze of 2 min is outside the bounds \["10s", "1m"\]'
    ):
        world.api.answer(Request(Command.SNOOZE, 120.0))
    assert world.api.answer(Request(Command.SNOOZE, 30.0))["message"].endswith("for 30 s")


@pytest.mark.parametrize("world", [("90s", "")], indirect=True)
def test_the_daily_limit_notice_comes_once_and_is_recorded(world: World) -> None:
    world.user_types_until(world.clock() + 80)
    assert TITLE not in world.notifier.titles()
    status = world.api.status()
    assert status.daily_limit is not None and status.daily_limit.reached_at is None
    world.user_types_until(world.clock() + 30)
    assert world.notifier.titles().count(TITLE) == 1
    world.user_types_until(world.clock() + 200)
    assert world.notifier.titles().count(TITLE) == 1
    status = world.api.status()
    assert (
        status.daily_limit is not None and status.daily_limit.reached_at == "2026-11-23T09:01+00:00"
    )
    assert status.daily_limit.active_seconds == pytest.approx(310.0, abs=6.0)
    world.recorder._writer.flush()
    db = world.recorder.path
    with sqlite3.connect(db) as conn:
        events = [r[0] for r in conn.execute("SELECT event FROM daemon_events")]
    assert events.count("daily_limit") == 1


def test_the_daily_limit_counts_from_local_midnight_and_reads_the_morning(
    utc: None,
) -> None:
    clock = VirtualClock(start=0.0, wall=datetime(2026, 11, 23, 23, 50, tzinfo=timezone.utc))
    notices: list[float] = []
    asked: list[tuple[datetime, datetime]] = []

    def earlier(start: datetime, end: datetime) -> tuple[float, datetime | None]:
        asked.append((start, end))
        return 100.0, None

    wakeups = Wakeups(clock, clock.wall)
    daily = DailyLimit(200.0, wakeups.local, lambda t, a: notices.append(a), earlier)
    daily.activity_resumed(0.0)
    daily.check(30.0, 30.0)
    assert daily.active(30.0, 30.0) == pytest.approx(130.0)  # the morning's 100 s + 30 s
    assert asked[0][0].hour == 0 and asked[0][1] - asked[0][0] == timedelta(days=1)
    daily.check(100.0, 100.0)
    assert notices == [pytest.approx(200.0)]
    # Past midnight (at 600 s): the new day counts from midnight, the store is
    # not asked again, and the notice may come again.
    assert daily.active(650.0, 650.0) == pytest.approx(50.0)
    daily.absence_began(650.0)
    daily.activity_resumed(700.0)
    daily.check(800.0, 800.0)
    assert notices == [pytest.approx(200.0)]
    daily.check(860.0, 860.0)
    assert len(notices) == 2 and len(asked) == 1


def test_a_reload_is_recorded_and_a_broken_one_keeps_the_running_rules(
    world: World, tmp_path: Path
) -> None:
    user = tmp_path / "config" / "ergod" / "config.toml"
    faster = FAST.format(limit="0").replace('every = "60s"', 'every = "90s"')
    user.write_text(faster + '[store]\nretention = "30d"\n')
    assert world.api.answer(Request(Command.RELOAD)) == {"message": "configuration reloaded"}
    assert world.runtime.parts.link.engine.rules.stretch.every == 90.0
    # Retention is the store writer's alone; a reload hands it the new length.
    assert world.recorder._writer.retention == 30 * 86400
    # The user's own file is read forgivingly; a site file is not.
    site = tmp_path / "etc" / "config.d" / "50-site.toml"
    site.parent.mkdir(parents=True, exist_ok=True)
    site.write_text('[breaks.stretch]\nevery = "soon"\n')
    with pytest.raises(ControlError, match="last good configuration stays"):
        world.api.answer(Request(Command.RELOAD))
    assert world.runtime.parts.link.engine.rules.stretch.every == 90.0
    world.recorder._writer.flush()
    with sqlite3.connect(world.recorder.path) as conn:
        events = [r[0] for r in conn.execute("SELECT event FROM daemon_events ORDER BY id")]
    assert events == ["start", "reload"]


def test_a_catch_up_batch_shows_only_the_prompts_still_open(world: World) -> None:
    """After a stall the engine returns several moments at once; a prompt that a
    later effect of the batch ends or replaces is not flashed on screen."""
    from ergod.core import BreakRecord, BreakResolved, Kind, Outcome, ShowPrompt

    def show(at: float) -> ShowPrompt:
        return ShowPrompt(Kind.STRETCH, at, at, None, 1, False, None)

    def resolved(at: float) -> BreakResolved:
        record = BreakRecord(Kind.STRETCH, at, at, 1, 0, Outcome.IGNORED, at + 1, None, None)
        return BreakResolved(record)

    batch = [show(10.0), resolved(10.0), show(20.0), resolved(20.0), show(30.0)]
    world.runtime.apply(batch)
    assert len(world.notifier.shown) == 1
    assert world.api.status().today[0].count == 2


# ---- the scheduler -------------------------------------------------------------


@pytest.fixture
def wakeups() -> Iterator[tuple[Wakeups, list[str]]]:
    fired: list[str] = []
    lock = threading.Lock()

    def note(name: str) -> None:
        with lock:
            fired.append(name)

    scheduler = Wakeups(time.monotonic, utc_now_for_tests)
    scheduler.start(lambda: note("wake"))
    yield scheduler, fired
    scheduler.shutdown()


def utc_now_for_tests() -> datetime:
    return datetime.now(timezone.utc)


def test_the_one_shot_fires_once_at_its_moment_and_can_be_moved(
    wakeups: tuple[Wakeups, list[str]],
) -> None:
    scheduler, fired = wakeups
    scheduler.place(time.monotonic() + 3600)
    scheduler.place(time.monotonic() + 0.05)  # replaces the first
    eventually(lambda: fired == ["wake"], "the one-shot")
    time.sleep(0.2)
    assert fired == ["wake"]
    scheduler.place(time.monotonic() + 0.05)
    scheduler.place(None)
    time.sleep(0.2)
    assert fired == ["wake"]
    scheduler.place(time.monotonic() - 10)  # already past: at once
    eventually(lambda: fired == ["wake", "wake"], "a past one-shot")


def test_a_periodic_job_repeats_and_a_late_one_runs_once(
    wakeups: tuple[Wakeups, list[str]],
) -> None:
    scheduler, fired = wakeups
    scheduler.every("metrics", 0.05, lambda: fired.append("metrics"), now=True)
    eventually(lambda: fired.count("metrics") >= 3, "three runs")
    scheduler.every("metrics", None, lambda: None)
    count = fired.count("metrics")
    time.sleep(0.2)
    assert fired.count("metrics") == count
    assert scheduler.next_run("metrics") is None


def test_a_notice_shown_earlier_today_is_not_shown_again(utc: None) -> None:
    clock = VirtualClock(start=0.0, wall=datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc))
    shown_at = datetime(2026, 11, 23, 14, 30, tzinfo=timezone.utc)
    notices: list[float] = []
    wakeups = Wakeups(clock, clock.wall)
    daily = DailyLimit(
        200.0, wakeups.local, lambda t, a: notices.append(a), lambda s, e: (300.0, shown_at)
    )
    daily.activity_resumed(0.0)
    daily.check(50.0, 50.0)
    view = daily.view(50.0, 50.0, measuring=True)
    assert notices == [] and view is not None
    assert view.active == pytest.approx(350.0)
    assert view.reached_at is not None and wakeups.local(view.reached_at) == shown_at


# ---- pending breaks (spec section 6, part 6 of issue 11) ----------------------------


def _breaks(world: World) -> list[BreakRow]:
    from ergod.store.reader import open_reader

    with open_reader(world.recorder.path) as reader:
        return reader.breaks_between(
            datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
        )


def test_a_prompted_break_is_stored_pending_and_a_stop_keeps_it_and_the_bout(
    world: World,
) -> None:
    from ergod.daemon.compose import _last_rows
    from ergod.store.reader import open_reader

    world.user_types_until(world.clock() + 61)
    assert world.notifier.titles() == ["Stretch break"]
    eventually(
        lambda: (
            [(b.kind.value, b.outcome.value) for b in _breaks(world)] == [("stretch", "pending")]
        ),
        "the open break stored as pending right after its prompt",
    )
    world.clock.advance(5.0)
    _last_rows(world.recorder, world.runtime.parts.link, world.clock())  # as at a stop
    rows = _breaks(world)
    assert [(b.kind.value, b.outcome.value, b.prompts) for b in rows] == [("stretch", "pending", 1)]
    with open_reader(world.recorder.path) as reader:
        bouts = reader.bouts_between(
            datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)
        )
    assert len(bouts) == 1 and bouts[0].length >= 60.0


# ---- prompts: the first one's safety line, and "This hurts" (issue 11) -------------


def test_only_the_first_prompt_since_install_carries_the_safety_line(world: World) -> None:
    world.user_types_until(world.clock() + 61)
    world.api.answer(Request(Command.SKIP))
    world.user_types_until(world.clock() + 61)
    bodies = [m.body for m in world.notifier.shown if m.title == "Stretch break"]
    assert len(bodies) == 2
    assert "ergod exercises --safety" in bodies[0]
    assert "ergod exercises --safety" not in bodies[1]


def test_this_hurts_switches_the_exercise_off_skips_the_break_and_shows_the_tiers(
    world: World, tmp_path: Path
) -> None:
    from ergod.config import load_config

    world.user_types_until(world.clock() + 61)
    prompt = world.notifier.shown[-1]
    assert [a.key for a in prompt.actions][-1] == "hurts"
    shown = world.runtime.parts.sink.shown_exercise
    assert shown is not None
    world.runtime.hurts(world.clock())
    env = world.runtime.parts.env
    assert shown in load_config(env).config.exercises.disabled or any(
        part in load_config(env).config.exercises.disabled
        for part in (world.runtime.parts.settings.library.get(shown).parts or ())
    )
    assert world.runtime.parts.link.engine.open_kind() is None
    assert world.runtime.parts.sink.outcomes() == [("stretch", "skipped", 1)]
    notice = world.notifier.shown[-1]
    assert notice.actions == () and notice.timeout == 0.0
    assert "no longer offered" in notice.body and "Urgent care now" in notice.body


def test_a_call_keeps_the_bout_going_without_input_and_the_prompt_catches_up(
    world: World,
) -> None:
    runtime = world.runtime
    probe = CallProbe()
    runtime.parts.quiet.reconfigure(runtime.parts.settings.config.schedule, [probe])
    start = world.clock()
    world.user_types_until(start + 30)
    since = runtime.parts.link.engine.view(world.clock()).sitting_since
    probe.answer = "in a call: microphone in use by parecord"
    end = world.clock() + 600  # ten minutes without input: past break_after
    while world.clock() < end:
        # Where the daemon's one-shot would fire: the engine's next moment or
        # the probes' next check.
        now = world.clock()
        due = [runtime.parts.link.wakeup_at(), runtime.parts.quiet.next_check(now), end]
        world.clock.advance(max(0.0, min(m for m in due if m is not None) - now))
        runtime.tick()
        runtime.sync()
    assert probe.asked > 0
    assert world.notifier.titles() == []  # quiet time: no prompt in the call
    view = runtime.parts.link.engine.view(world.clock())
    assert view.sitting_since == since  # attended: no natural break
    status = world.api.answer(Request(Command.STATUS))
    assert status["attended"] == (probe.answer,) and probe.answer in status["quiet"]
    probe.answer = None
    world.user_types_until(world.clock() + 200)  # past catch_up (2 min)
    assert world.notifier.titles()[:1] == ["Stretch break"]


def test_a_weekly_job_is_due_at_its_local_time_across_dst(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sunday 02:30 in Berlin on the night clocks go forward (29 March 2026)
    does not exist: the job is due at the same instant as 01:30 UTC."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    wall = datetime(2026, 3, 28, 12, 0, tzinfo=timezone.utc)  # Saturday
    scheduler = Wakeups(lambda: 0.0, lambda: wall)
    scheduler.weekly("summary", (6, 150), lambda: None)
    due = scheduler.next_run("summary")
    assert due is not None and due.weekday() == 6
    assert due.astimezone(timezone.utc) == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    scheduler.weekly("summary", None, lambda: None)
    assert scheduler.next_run("summary") is None


def test_a_weekly_job_follows_a_wall_clock_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    shift = [0.0]
    base = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # Monday 09:00
    scheduler = Wakeups(lambda: 100.0, lambda: base + timedelta(seconds=shift[0]))
    scheduler.weekly("summary", (0, 10 * 60), lambda: None)  # Monday 10:00
    engine_due = scheduler._jobs["summary"].due
    assert engine_due == 100.0 + 3600
    shift[0] = 1800.0  # the wall clock was set 30 min ahead
    scheduler.clock_stepped()
    assert scheduler._jobs["summary"].due == 100.0 + 1800


def test_the_local_zone_follows_tz_and_the_zone_files_at_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The zone is kept between questions (tzlocal costs about 1 ms), but a
    new TZ, or a zone file replaced (`timedatectl set-timezone`), is seen at
    the next question."""
    from ergod.daemon import wakeups

    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert str(wakeups.local_zone()) == "Europe/Berlin"
    monkeypatch.setenv("TZ", "America/New_York")
    assert str(wakeups.local_zone()) == "America/New_York"
    link = tmp_path / "localtime"
    link.symlink_to("/usr/share/zoneinfo/Europe/Berlin")
    monkeypatch.setattr(wakeups, "_ZONE_FILES", (str(link),))
    before = wakeups._zone_key()
    assert wakeups._zone_key() == before
    link.unlink()
    link.symlink_to("/usr/share/zoneinfo/Asia/Tokyo")
    assert wakeups._zone_key() != before
