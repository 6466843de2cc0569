"""The D-Bus activity and session sources against real test services on private buses.

Each test runs a real `dbus-daemon` (the shared `dbus_session` fixture; a second one
stands in for the system bus) with the jeepney services of `tests/dbus_services.py`.
Waits have generous safety timeouts and never assert on speed. To prove that a
callback did NOT happen, a test makes a method call through the same source after
the service sent the signal: the bus keeps one sender's messages in order, so by the
time the reply is back the signal has been handled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from dbus_services import FakeLogind, FakeMuffin, FakeMutter, FakeScreenSaver
from jeepney.bus_messages import message_bus
from servers import require_tool, running_dbus_session

from ergod.activity import gnome, logind, screensaver, select_source
from ergod.activity.base import SessionEvent, SourceUnavailable
from ergod.activity.suspend import ClockReading, Suspend, SuspendDetector, read_clocks
from ergod.daemon.clock import now
from ergod.dbus import BusLink

pytestmark = [
    pytest.mark.dbus,
    # The ScreenSaver source's return watch runs on Xvfb.
    pytest.mark.x11,
    pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning"),
]

SAFETY = 5.0  # seconds before a wait gives up and fails; not a speed requirement


def eventually(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + SAFETY
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.01)


def link_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("ergod-dbus-") and t.is_alive()]


def kill_bus(address: str) -> None:
    """SIGKILL the dbus-daemon behind `address` (started by this test's fixture)."""
    link = BusLink.open(address)
    try:
        (pid,) = link.call(message_bus.GetConnectionUnixProcessID("org.freedesktop.DBus"))
    finally:
        link.close()
    os.kill(int(pid), signal.SIGKILL)


def assert_nondecreasing_floats(times: list[object]) -> None:
    floats = [t for t in times if isinstance(t, float)]
    assert len(floats) == len(times), times
    assert floats == sorted(floats)


class Recorder:
    """Collects callback calls from any thread."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        self._lock = threading.Lock()

    def __call__(self, *args: object) -> None:
        with self._lock:
            self.calls.append(args)

    def wait_for(self, count: int) -> list[tuple[object, ...]]:
        eventually(lambda: len(self.calls) >= count, f"{count} callback calls, got {self.calls}")
        return list(self.calls)

    def events(self) -> list[object]:
        return [call[0] for call in self.calls]


@pytest.fixture
def system_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A second private bus playing the system bus."""
    with running_dbus_session() as address:
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
        yield address


@pytest.fixture(autouse=True)
def no_leftover_threads() -> Iterator[None]:
    yield
    assert link_threads() == [], "a BusLink thread outlived its test"


@pytest.fixture
def mutter(dbus_session: str) -> Iterator[FakeMutter]:
    service = FakeMutter(dbus_session)
    yield service
    service.close()


@pytest.fixture
def gnome_source(mutter: FakeMutter, dbus_session: str) -> Iterator[gnome.GnomeIdleSource]:
    source = gnome.probe(now, os.environ)
    source.start()
    yield source
    source.stop()


# GNOME / Mutter IdleMonitor ------------------------------------------------


def test_auto_picks_cinnamon_from_muffins_idle_monitor(dbus_session: str) -> None:
    muffin = FakeMuffin(dbus_session)
    try:
        choice = select_source("auto", now, os.environ, platform="linux")
        assert choice.name == "cinnamon"
        assert choice.protocol == "org.cinnamon.Muffin.IdleMonitor"
        assert [name for name, _ in choice.tried] == ["gnome"]
        source = choice.source
        assert source is not None
        source.start()
        try:
            muffin.idle_ms = 2500
            assert source.idle_seconds() == 2.5
            returned = Recorder()
            source.watch_return(returned)
            before = now()
            muffin.user_active()
            ((t,),) = returned.wait_for(1)
            assert before <= t <= now()
        finally:
            source.stop()
    finally:
        muffin.close()


def test_gnome_reads_mutter_idle_time_in_seconds(
    mutter: FakeMutter, gnome_source: gnome.GnomeIdleSource
) -> None:
    mutter.idle_ms = 4500
    assert gnome_source.idle_seconds() == 4.5
    mutter.idle_ms = 0
    assert gnome_source.idle_seconds() == 0.0


def test_gnome_return_watch_fires_once_with_a_time_on_the_clock(
    mutter: FakeMutter, gnome_source: gnome.GnomeIdleSource
) -> None:
    returned = Recorder()
    gnome_source.watch_return(returned)
    assert list(mutter.watches.values()) == [gnome_source._link.unique_name]  # type: ignore[union-attr]
    before = now()
    mutter.user_active()
    ((t,),) = returned.wait_for(1)
    assert isinstance(t, float)
    assert before <= t <= now()
    # A repeated WatchFired for the same id (and further input) calls nobody again.
    mutter.emit(mutter.PATH, mutter.INTERFACE, "WatchFired", "u", (1,))
    mutter.user_active()
    gnome_source.idle_seconds()
    assert len(returned.calls) == 1


def test_gnome_return_callback_may_query_the_source_it_came_from(
    mutter: FakeMutter, gnome_source: gnome.GnomeIdleSource
) -> None:
    # The callback runs on the link's own thread; a query from there must not deadlock.
    idle_at_return = Recorder()
    gnome_source.watch_return(lambda t: idle_at_return(gnome_source.idle_seconds()))
    mutter.user_active()
    assert idle_at_return.wait_for(1) == [(0.0,)]


def test_gnome_hung_mutter_is_a_bounded_failure(dbus_session: str) -> None:
    service = FakeMutter(dbus_session)
    source = gnome.GnomeIdleSource(now, dbus_session, timeout=0.2)
    try:
        source.start()
        service.hung = True
        with pytest.raises(SourceUnavailable, match=r"no answer from D-Bus within 0\.2 s"):
            source.idle_seconds()
        service.hung = False
        assert source.idle_seconds() == 0.0  # a late reply is dropped, the link still works
    finally:
        source.stop()
        service.close()


def test_gnome_cancel_removes_the_watch_and_nothing_fires(
    mutter: FakeMutter, gnome_source: gnome.GnomeIdleSource
) -> None:
    returned = Recorder()
    gnome_source.watch_return(returned)
    gnome_source.cancel_watch()
    assert mutter.watches == {}
    assert mutter.removed == [1]
    mutter.emit(mutter.PATH, mutter.INTERFACE, "WatchFired", "u", (1,))
    gnome_source.idle_seconds()
    assert returned.calls == []


def test_gnome_arming_twice_replaces_the_callback(
    mutter: FakeMutter, gnome_source: gnome.GnomeIdleSource
) -> None:
    first, second = Recorder(), Recorder()
    gnome_source.watch_return(first)
    gnome_source.watch_return(second)
    assert list(mutter.watches) == [2]
    mutter.user_active()
    second.wait_for(1)
    gnome_source.idle_seconds()
    assert first.calls == []


def test_gnome_without_user_active_watch_says_so(dbus_session: str) -> None:
    service = FakeMutter(dbus_session, user_active_watch=False)
    try:
        source = gnome.probe(now, os.environ)
        source.start()
        with pytest.raises(SourceUnavailable, match="AddUserActiveWatch"):
            source.watch_return(Recorder())
        source.stop()
    finally:
        service.close()


def test_gnome_probe_without_mutter_names_the_missing_service(dbus_session: str) -> None:
    with pytest.raises(SourceUnavailable, match=r"gnome: org\.gnome\.Mutter\.IdleMonitor not on"):
        gnome.probe(now, os.environ)


def test_gnome_probe_without_a_session_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SourceUnavailable, match="DBUS_SESSION_BUS_ADDRESS"):
        gnome.probe(now, {})
    with pytest.raises(SourceUnavailable, match="gnome: cannot connect"):
        gnome.probe(now, {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"})


def test_gnome_bus_death_is_reported_not_hung(
    mutter: FakeMutter, gnome_source: gnome.GnomeIdleSource, dbus_session: str
) -> None:
    gnome_source.watch_return(Recorder())
    kill_bus(dbus_session)
    eventually(lambda: not gnome_source.healthy(), "healthy() to turn False")
    with pytest.raises(SourceUnavailable, match="gnome"):
        gnome_source.idle_seconds()
    with pytest.raises(SourceUnavailable):
        gnome_source.watch_return(Recorder())
    gnome_source.cancel_watch()  # nothing to remove any more; must not raise


# org.freedesktop.ScreenSaver -------------------------------------------------


def test_screensaver_idle_in_milliseconds_and_return_from_the_input_listener(
    dbus_session: str, xvfb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_tool("xdotool")
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    service = FakeScreenSaver(dbus_session)
    source = screensaver.probe(now, os.environ)
    try:
        source.start()
        service.idle_ms = 61_250
        assert source.idle_seconds() == 61.25
        # Still away while the watch is armed (QuerySource re-checks the idle time then).
        returned = Recorder()
        source.watch_return(returned)
        before = now()
        subprocess.run(["xdotool", "mousemove", "40", "60"], check=True, timeout=SAFETY)
        ((t,),) = returned.wait_for(1)
        assert isinstance(t, float)
        assert before <= t <= now()
        subprocess.run(["xdotool", "mousemove", "80", "90"], check=True, timeout=SAFETY)
        source.idle_seconds()
        assert len(returned.calls) == 1
    finally:
        source.stop()
        service.close()


def test_screensaver_needs_a_way_to_see_the_return(
    dbus_session: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = FakeScreenSaver(dbus_session)
    try:
        monkeypatch.delenv("DISPLAY", raising=False)
        with pytest.raises(SourceUnavailable, match=r"return cannot be seen.*DISPLAY is not set"):
            screensaver.probe(now, os.environ)
        monkeypatch.setenv("DISPLAY", ":99")
        monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
        with pytest.raises(SourceUnavailable, match=r"return cannot be seen.*Wayland"):
            screensaver.probe(now, os.environ)
    finally:
        service.close()


def test_screensaver_idle_on_kde_short_path(dbus_session: str) -> None:
    service = FakeScreenSaver(dbus_session, paths=("/ScreenSaver",))
    try:
        source = screensaver.ScreenSaverIdleSource(now, dbus_session)
        source.start()
        service.idle_ms = 2000
        assert source.idle_seconds() == 2.0
        source.stop()
    finally:
        service.close()


def test_screensaver_missing_is_unavailable(dbus_session: str) -> None:
    with pytest.raises(
        SourceUnavailable, match=r"screensaver: org\.freedesktop\.ScreenSaver not on"
    ):
        screensaver.probe(now, os.environ)
    with pytest.raises(
        SourceUnavailable, match=r"screensaver: org\.freedesktop\.ScreenSaver not on"
    ):
        screensaver.probe_session(now, os.environ)


def test_screensaver_active_changed_gives_lock_and_unlock_once_each(dbus_session: str) -> None:
    service = FakeScreenSaver(dbus_session)
    events = Recorder()
    source = screensaver.probe_session(now, os.environ)
    try:
        source.start(events)
        assert source.healthy()
        service.set_active(True)
        service.set_active(True, path="/ScreenSaver")  # KDE announces on both paths
        service.set_active(False)
        events.wait_for(2)
        source.stop()
        assert not source.healthy()
    finally:
        service.close()
    assert events.events() == [SessionEvent.LOCK, SessionEvent.UNLOCK]
    assert_nondecreasing_floats([call[1] for call in events.calls])


def test_screensaver_already_locked_at_start_reports_only_the_unlock(dbus_session: str) -> None:
    service = FakeScreenSaver(dbus_session)
    service.active = True
    events = Recorder()
    source = screensaver.ScreenSaverSessionSource(now, dbus_session)
    try:
        source.start(events)
        service.set_active(True)
        service.set_active(False)
        events.wait_for(1)
        source.stop()
    finally:
        service.close()
    assert events.events() == [SessionEvent.UNLOCK]


# logind ----------------------------------------------------------------------


@pytest.fixture
def login1(system_bus: str) -> Iterator[FakeLogind]:
    service = FakeLogind(system_bus, session_pids=(os.getpid(),))
    yield service
    service.close()


def test_logind_lock_sleep_wake_unlock_in_order(
    login1: FakeLogind, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_SESSION_ID", "c1")
    events = Recorder()
    source = logind.probe(now, os.environ)
    source.start(events)
    try:
        assert source.session_path == login1.SESSION
        login1.prepare_for_sleep(False)  # a resume we never saw the suspend of: dropped
        login1.lock_signal(True)
        login1.set_locked_hint(True)  # the same lock, confirmed by the locker
        login1.prepare_for_sleep(True)
        login1.prepare_for_sleep(False)
        login1.set_locked_hint(False)
        events.wait_for(4)
        # Something on another path or interface is not ours.
        login1.emit("/org/freedesktop/login1/session/c2", login1.SESSION_INTERFACE, "Lock")
        login1.lock_signal(False)  # already unlocked: no second UNLOCK
        login1.emit(login1.SESSION, login1.SESSION_INTERFACE, "Unlock")
        source._property(source._link, login1.SESSION_INTERFACE, "LockedHint")  # type: ignore[arg-type]
    finally:
        source.stop()
    assert events.events() == [
        SessionEvent.LOCK,
        SessionEvent.SLEEP,
        SessionEvent.WAKE,
        SessionEvent.UNLOCK,
    ]
    assert_nondecreasing_floats([call[1] for call in events.calls])


def test_logind_session_by_pid_and_invalidated_locked_hint(login1: FakeLogind) -> None:
    events = Recorder()
    source = logind.LogindSessionSource(now, os.environ["DBUS_SYSTEM_BUS_ADDRESS"])
    source.start(events)
    try:
        assert source.session_path == login1.SESSION
        # logind may only invalidate the property: the source reads it back itself.
        login1.locked_hint = True
        login1.emit(
            login1.SESSION,
            login1.PROPERTIES,
            "PropertiesChanged",
            "sa{sv}as",
            (login1.SESSION_INTERFACE, {}, ["LockedHint"]),
        )
        events.wait_for(1)
    finally:
        source.stop()
    assert events.events() == [SessionEvent.LOCK]


def test_logind_systemd_user_service_finds_the_users_display_session(system_bus: str) -> None:
    service = FakeLogind(system_bus, session_pids=())  # our pid is in no session
    events = Recorder()
    source = logind.LogindSessionSource(now, system_bus, session_id="")
    try:
        source.start(events)
        assert source.session_path == service.SESSION
        service.lock_signal(True)
        events.wait_for(1)
        source.stop()
    finally:
        service.close()
    assert events.events() == [SessionEvent.LOCK]


def test_logind_missing_is_unavailable(system_bus: str) -> None:
    with pytest.raises(SourceUnavailable, match=r"logind: org\.freedesktop\.login1 not on"):
        logind.probe(now, os.environ)


def test_logind_bus_death_turns_unhealthy_without_raising(
    login1: FakeLogind, system_bus: str
) -> None:
    events = Recorder()
    source = logind.LogindSessionSource(now, system_bus, session_id="c1")
    source.start(events)
    assert source.healthy()
    kill_bus(system_bus)
    eventually(lambda: not source.healthy(), "healthy() to turn False")
    source.stop()
    assert events.calls == []


# Through the selector ------------------------------------------------------


def test_auto_selection_prefers_gnome_when_mutter_answers(mutter: FakeMutter) -> None:
    choice = select_source("auto", now, os.environ, platform="linux")
    assert isinstance(choice.source, gnome.GnomeIdleSource)
    assert choice.tried == ()
    assert not choice.source.healthy()  # returned unstarted; the daemon starts it


def test_auto_selection_takes_screensaver_on_x11_and_says_why_not_gnome(
    dbus_session: str, xvfb: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    service = FakeScreenSaver(dbus_session)
    try:
        choice = select_source("auto", now, os.environ, platform="linux")
    finally:
        service.close()
    assert isinstance(choice.source, screensaver.ScreenSaverIdleSource)
    assert choice.tried[:2] == (
        ("gnome", "org.gnome.Mutter.IdleMonitor not on the session bus"),
        ("cinnamon", "org.cinnamon.Muffin.IdleMonitor not on the session bus"),
    )
    assert [name for name, _ in choice.tried[2:]] == ["wayland"]


# Suspend from the clocks -----------------------------------------------------


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        pytest.param([(100.0, 100.0), (160.0, 160.0)], None, id="awake-no-gap-growth"),
        pytest.param([(100.0, 90.0), (161.5, 150.0)], None, id="within-tolerance"),
        pytest.param(
            [(100.0, 90.0), (1000.0, 100.0)],
            Suspend(start=110.0, end=1000.0, length=890.0),
            id="suspended-890s",
        ),
        pytest.param(
            [(100.0, 90.0), (1000.0, 100.0), (1010.0, 110.0)],
            None,
            id="reported-once-then-new-baseline",
        ),
        pytest.param([(100.0, 50.0), (120.0, 80.0)], None, id="shrinking-gap-is-not-a-suspend"),
    ],
)
def test_suspend_detector(readings: list[tuple[float, float]], expected: Suspend | None) -> None:
    detector = SuspendDetector(tolerance=2.0)
    results = [detector.observe(ClockReading(*pair)) for pair in readings]
    assert results[0] is None
    assert results[-1] == expected


def test_suspend_detector_first_reading_is_only_a_baseline() -> None:
    detector = SuspendDetector()
    assert detector.observe(ClockReading(5000.0, 10.0)) is None


def test_read_clocks_reads_the_daemon_clock_and_monotonic() -> None:
    before = now()
    reading = read_clocks()
    assert before <= reading.boottime <= now()
    # BOOTTIME = MONOTONIC + time suspended since boot: never behind.
    assert reading.gap >= -0.01
    assert SuspendDetector().observe(reading) is None
