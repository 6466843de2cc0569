"""The Wayland activity source against real compositors, and ext-idle-notify v2 against a fake.

* Headless sway 1.7 (org_kde_kwin_idle v1) under the `nobody` uid, with the
  source in a child process of that uid and `wtype` as the person: the
  absence start and the return are measured on the shared boot clock.
* kwin_wayland 5.27 --virtual (ext_idle_notifier_v1 v1), with KWin's fake
  input protocol as the person.
* ext_idle_notifier_v1 v2 (and the request each setting sends) only against
  `wayland_fake.FakeCompositor`: no Debian 12 compositor offers v2.

Waits poll with generous limits; bounds on measured moments are as wide as
the notification's own timeout, so a slow machine does not fail them but an
absence counted from the wrong moment does.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wayland_fake import FakeCompositor
from wayland_support import Child, Sway, kwin_pointer_nudge, running_kwin, running_sway

from ergod.activity import select_source, wayland, wlwire
from ergod.activity.base import SourceSettings, SourceUnavailable
from ergod.daemon.clock import now

pytestmark = [pytest.mark.wayland, pytest.mark.e2e]

SAFETY = 30.0

CHILD = r"""
import json, os, sys, threading
from ergod.activity import select_source
from ergod.activity.base import SourceSettings, SourceUnavailable
from ergod.daemon.clock import now

lock = threading.Lock()
def say(**kw):
    with lock:
        print(json.dumps(kw), flush=True)

settings = SourceSettings(float(sys.argv[1]), sys.argv[2] == "ignore")
choice = select_source("auto", now, os.environ, platform="linux", settings=settings)
source = choice.source
events = []
if source is not None:
    source.start()
    handle = source._on_event
    def counting(event):
        # Idle events only: wl_seat announces each wtype's virtual keyboard.
        if event.object_id == source._notification:
            events.append(now())
        handle(event)
    source._on_event = counting
say(name=choice.name, protocol=choice.protocol, why=choice.why)
for line in sys.stdin:
    op = json.loads(line)["op"]
    try:
        if op == "idle":
            idle = source.idle_seconds()
            say(idle=idle, at=now())
        elif op == "watch":
            armed = now()
            source.watch_return(lambda t: say(fired=t))
            say(armed=armed)
        elif op == "events":
            say(events=len(events))
        elif op == "healthy":
            say(healthy=source.healthy())
        elif op == "poke":
            source._conn.send(source._notification, 9)  # no such request
            say(poked=True)
        elif op == "stop":
            source.stop()
            say(stopped=True)
            break
    except SourceUnavailable as exc:
        say(error=str(exc))
"""


class Session:
    """The child's replies, with asynchronous `fired` lines kept aside."""

    def __init__(self, child: Child) -> None:
        self.child = child
        self.fired: list[float] = []
        self.hello = self.reply()

    def reply(self) -> dict[str, Any]:
        while True:
            message = self.child.receive()
            if "fired" in message:
                self.fired.append(float(message["fired"]))
                continue
            return message

    def ask(self, op: str) -> dict[str, Any]:
        self.child.send(op=op)
        return self.reply()

    def idle_at_least(self, seconds: float) -> dict[str, Any]:
        deadline = time.monotonic() + SAFETY
        while True:
            answer = self.ask("idle")
            if answer["idle"] >= seconds:
                return answer
            if time.monotonic() > deadline:
                pytest.fail(f"idle never reached {seconds} s: {answer}")
            time.sleep(0.1)

    def wait_fired(self) -> float:
        deadline = time.monotonic() + SAFETY
        while not self.fired:
            if time.monotonic() > deadline:
                pytest.fail("the return watch never fired")
            self.ask("events")  # any reply also collects a `fired` line before it
            time.sleep(0.05)
        return self.fired[0]


@pytest.fixture
def sway() -> Iterator[Sway]:
    with running_sway() as compositor:
        yield compositor


def start_child(sway: Sway, threshold: float, inhibitors: str = "presence") -> Session:
    child = sway.child(CHILD, str(threshold), inhibitors)
    return Session(child)


def stop_child(session: Session) -> None:
    proc = session.child.proc
    if proc.poll() is None:
        with contextlib.suppress(AssertionError, BrokenPipeError):
            session.ask("stop")
    proc.kill()
    proc.wait(10)


def timed(action: Any) -> tuple[float, float]:
    before = now()
    action()
    return before, now()


# ---- headless sway: org_kde_kwin_idle v1 ------------------------------------------


def test_sway_measures_the_absence_start_and_the_return(sway: Sway) -> None:
    session = start_child(sway, threshold=4.0)
    try:
        assert session.hello["name"] == "wayland"
        assert session.hello["protocol"] == "org_kde_kwin_idle v1"
        typed_from, typed_to = timed(lambda: sway.run("wtype", "a"))
        answer = session.idle_at_least(2.5)
        absence_start = answer["at"] - answer["idle"]
        # idled comes T/2 = 2 s after the last key; the start is read back from it.
        assert typed_from - 0.05 <= absence_start <= typed_to + 2.0
        armed = session.ask("watch")["armed"]
        assert session.fired == []
        back_from, back_to = timed(lambda: sway.run("wtype", "b"))
        fired = session.wait_fired()
        assert max(armed, back_from) <= fired <= back_to + 2.0
        assert session.ask("idle")["idle"] < 2.0
    finally:
        stop_child(session)


def test_sway_sends_nothing_while_the_user_types(sway: Sway) -> None:
    session = start_child(sway, threshold=10.0)  # idled would come after 5 s
    try:
        # Keys 0.2 s apart for 7 s, longer than the notification's timeout.
        # One wtype per key: wtype -d sends its keys only when it exits.
        typing_until = time.monotonic() + 7.0
        while time.monotonic() < typing_until:
            sway.run("wtype", "k")
            time.sleep(0.2)
        assert session.ask("events")["events"] == 0
        assert session.ask("idle")["idle"] <= 5.0
    finally:
        stop_child(session)


def test_sway_a_watch_armed_while_typing_fires_at_arming(sway: Sway) -> None:
    session = start_child(sway, threshold=4.0)
    try:
        sway.run("wtype", "a")
        armed = session.ask("watch")["armed"]
        typing_until = time.monotonic() + 4.0
        while time.monotonic() < typing_until:
            sway.run("wtype", "k")
            time.sleep(0.2)
        fired = session.wait_fired()
        # No `resumed` can come while typing; the sync at arming + 2 s proves input.
        assert armed <= fired <= armed + 0.5
    finally:
        stop_child(session)


def test_killing_sway_turns_the_source_unhealthy(sway: Sway) -> None:
    session = start_child(sway, threshold=4.0)
    try:
        assert session.ask("healthy") == {"healthy": True}
        sway.proc.kill()
        deadline = time.monotonic() + SAFETY
        while session.ask("healthy")["healthy"]:
            assert time.monotonic() < deadline, "the source never noticed"
            time.sleep(0.05)
        error = session.ask("idle")["error"]
        assert error == (
            "wayland: the compositor closed the connection (the compositor exited or restarted)"
        )
    finally:
        stop_child(session)


def test_a_protocol_error_turns_the_source_unhealthy(sway: Sway) -> None:
    session = start_child(sway, threshold=4.0)
    try:
        session.ask("poke")
        deadline = time.monotonic() + SAFETY
        while session.ask("healthy")["healthy"]:
            assert time.monotonic() < deadline, "the source never noticed"
            time.sleep(0.05)
        error = session.ask("idle")["error"]
        # libwayland-server's own wording for a request the interface lacks.
        assert error.startswith(
            "wayland: the compositor reported a protocol error on wl_display (code 1): "
            "invalid method 9, object org_kde_kwin_idle_timeout@"
        )
    finally:
        stop_child(session)


def test_binding_above_the_advertised_version_is_a_protocol_error(sway: Sway) -> None:
    # Why the source binds min(advertised, 2): sway answers a v2 bind of a v1 global so.
    conn = wlwire.Connection.connect(sway.runtime / sway.display)
    try:
        registry, globals_ = conn.registry()
        entry = globals_["org_kde_kwin_idle"]
        assert entry.version == 1
        conn.bind(registry, entry, 2)
        with pytest.raises(wlwire.ProtocolError, match="on wl_registry"):
            conn.roundtrip()
    finally:
        conn.close()


def test_auto_finds_the_only_socket_without_wayland_display(sway: Sway) -> None:
    env = sway.env()
    del env["WAYLAND_DISPLAY"]
    source = wayland.probe(now, env)
    assert source.protocol == "org_kde_kwin_idle v1"


# ---- no compositor: the reasons ------------------------------------------------------


def test_no_socket_says_so_with_the_fix(tmp_path: Path) -> None:
    environ = {"XDG_RUNTIME_DIR": str(tmp_path), "WAYLAND_DISPLAY": "wayland-7"}
    with pytest.raises(SourceUnavailable) as raised:
        wayland.probe(now, environ)
    message = str(raised.value)
    assert message.startswith(f"cannot connect to the Wayland socket {tmp_path}/wayland-7")
    assert "systemctl --user import-environment WAYLAND_DISPLAY" in message
    choice = select_source("auto", now, environ, platform="linux")
    assert choice.schedule_only
    assert choice.why.startswith("this is a Wayland session, but cannot connect")
    assert "why: this is a Wayland session" in choice.describe()


def test_a_systemd_user_service_without_wayland_display_is_told_the_fix(tmp_path: Path) -> None:
    environ = {"XDG_RUNTIME_DIR": str(tmp_path), "XDG_SESSION_TYPE": "wayland"}
    choice = select_source("auto", now, environ, platform="linux")
    assert dict(choice.tried)["wayland"] == (
        f"no Wayland socket (WAYLAND_DISPLAY is not set; {tmp_path} has none)"
    )
    assert choice.why.endswith(
        "run `systemctl --user import-environment WAYLAND_DISPLAY` in the session, "
        "then restart ergod"
    )


def test_an_x11_session_has_no_wayland_why(tmp_path: Path) -> None:
    choice = select_source("auto", now, {"XDG_RUNTIME_DIR": str(tmp_path)}, platform="linux")
    assert choice.schedule_only and choice.why == ""


def test_several_sockets_and_no_wayland_display_is_ambiguous(tmp_path: Path) -> None:
    servers = []
    for name in ("wayland-0", "wayland-1"):
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(tmp_path / name))
        servers.append(server)
    try:
        with pytest.raises(SourceUnavailable, match="holds several sockets"):
            wayland.probe(now, {"XDG_RUNTIME_DIR": str(tmp_path)})
    finally:
        for server in servers:
            server.close()


# ---- KWin: ext_idle_notifier_v1 v1 on a real compositor ------------------------------


def test_kwin_ext_idle_notify_v1_measures_absence_and_return(tmp_path: Path) -> None:
    with running_kwin() as path:
        environ = {"WAYLAND_DISPLAY": str(path)}
        # Asked to ignore inhibitors, a v1 compositor can only honour them.
        source = wayland.probe(now, environ, SourceSettings(4.0, ignore_inhibitors=True))
        assert source.protocol == "ext_idle_notifier_v1 v1"
        source.start()
        try:
            nudged_from, nudged_to = timed(lambda: kwin_pointer_nudge(path))
            deadline = time.monotonic() + SAFETY
            while (idle := source.idle_seconds()) < 2.5:
                assert time.monotonic() < deadline, "never idle"
                time.sleep(0.1)
            absence_start = now() - idle
            assert nudged_from - 0.05 <= absence_start <= nudged_to + 2.0
            fired: list[float] = []
            source.watch_return(fired.append)
            back_from, back_to = timed(lambda: kwin_pointer_nudge(path))
            deadline = time.monotonic() + SAFETY
            while not fired:
                assert time.monotonic() < deadline, "the watch never fired"
                time.sleep(0.05)
            assert back_from <= fired[0] <= back_to + 2.0
        finally:
            source.stop()


# ---- ext_idle_notifier_v1 v2: constructed bytes through a fake compositor ------------


@pytest.fixture
def fake_path(tmp_path: Path) -> Path:
    return tmp_path / "wayland-fake"


def fake_with(path: Path, **globals_: int) -> FakeCompositor:
    return FakeCompositor(path, {"wl_seat": 7, **globals_})


@pytest.mark.parametrize(
    ("advertised", "ignore", "bound", "opcode", "protocol"),
    [
        (2, True, 2, 2, "ext_idle_notifier_v1 v2, input only"),
        (2, False, 2, 1, "ext_idle_notifier_v1 v2"),
        (3, True, 2, 2, "ext_idle_notifier_v1 v2, input only"),
        (1, True, 1, 1, "ext_idle_notifier_v1 v1"),
    ],
)
def test_ext_binds_at_most_v2_and_asks_by_the_inhibitors_setting(
    fake_path: Path, advertised: int, ignore: bool, bound: int, opcode: int, protocol: str
) -> None:
    fake = fake_with(fake_path, ext_idle_notifier_v1=advertised, org_kde_kwin_idle=1)
    try:
        source = wayland.probe(now, {"WAYLAND_DISPLAY": str(fake_path)}, SourceSettings(30, ignore))
        source.start()
        try:
            assert source.protocol == protocol
            assert fake.bound["ext_idle_notifier_v1"][1] == bound
            assert "org_kde_kwin_idle" not in fake.bound
            (request,) = [r for r in fake.requests if r[0] == "ext_idle_notifier_v1"]
            assert request[1] == opcode
            seat = fake.bound["wl_seat"][0]
            _, timeout_ms, seat_arg = wlwire.decode("nuo", request[2])
            assert (timeout_ms, seat_arg) == (15000, seat)  # half the 30 s threshold
        finally:
            source.stop()
    finally:
        fake.close()


def test_kde_idle_puts_the_seat_before_the_timeout(fake_path: Path) -> None:
    fake = fake_with(fake_path, org_kde_kwin_idle=1)
    try:
        source = wayland.probe(now, {"WAYLAND_DISPLAY": str(fake_path)}, SourceSettings(8))
        source.start()
        try:
            (request,) = [r for r in fake.requests if r[0] == "org_kde_kwin_idle"]
            _, seat_arg, timeout_ms = wlwire.decode("nou", request[2])
            assert (seat_arg, timeout_ms) == (fake.bound["wl_seat"][0], 4000)
        finally:
            source.stop()
    finally:
        fake.close()


def eventually(predicate: Any, what: str) -> None:
    deadline = time.monotonic() + SAFETY
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def test_ext_v2_events_drive_idle_time_and_the_watch(fake_path: Path) -> None:
    fake = fake_with(fake_path, ext_idle_notifier_v1=2)
    try:
        source = wayland.probe(now, {"WAYLAND_DISPLAY": str(fake_path)}, SourceSettings(4, True))
        source.start()
        try:
            assert source.idle_seconds() < 1.0  # present since the start, until told
            sent = now()
            fake.idled()
            eventually(lambda: source.idle_seconds() >= 2.0, "idled to count")
            # The first idled after creation: away at least since the creation.
            assert source.idle_seconds() <= now() - sent + 2.0
            fired: list[float] = []
            source.watch_return(fired.append)
            back = now()
            fake.resumed()
            eventually(lambda: bool(fired), "the watch")
            assert fired[0] >= back
            assert source.idle_seconds() < 1.0
        finally:
            source.stop()
    finally:
        fake.close()


def test_a_protocol_error_from_the_fake_is_reported(fake_path: Path) -> None:
    fake = fake_with(fake_path, ext_idle_notifier_v1=2)
    try:
        source = wayland.probe(now, {"WAYLAND_DISPLAY": str(fake_path)})
        source.start()
        try:
            fake.error(fake.notification(), 0, "invalid timeout")
            eventually(lambda: not source.healthy(), "unhealthy")
            with pytest.raises(SourceUnavailable) as raised:
                source.idle_seconds()
            assert str(raised.value) == (
                "wayland: the compositor reported a protocol error on "
                "ext_idle_notification_v1 (code 0): invalid timeout"
            )
            with pytest.raises(SourceUnavailable):
                source.watch_return(lambda t: None)
        finally:
            source.stop()
    finally:
        fake.close()


def test_no_seat_and_no_idle_protocol_are_plain_reasons(fake_path: Path) -> None:
    fake = FakeCompositor(fake_path, {"wl_compositor": 5, "ext_idle_notifier_v1": 1})
    try:
        with pytest.raises(SourceUnavailable, match="no wl_seat"):
            wayland.probe(now, {"WAYLAND_DISPLAY": str(fake_path)})
    finally:
        fake.close()
    fake_path.unlink()
    fake = fake_with(fake_path, wl_compositor=5)
    try:
        with pytest.raises(SourceUnavailable) as raised:
            wayland.probe(now, {"WAYLAND_DISPLAY": str(fake_path)})
        assert str(raised.value).startswith(
            "the compositor offers no idle protocol (neither ext_idle_notifier_v1 "
            "nor org_kde_kwin_idle)"
        )
    finally:
        fake.close()


def test_a_reload_recreates_the_notification_with_the_new_timeout(fake_path: Path) -> None:
    fake = fake_with(fake_path, ext_idle_notifier_v1=2)
    try:
        source = wayland.probe(now, {"WAYLAND_DISPLAY": str(fake_path)}, SourceSettings(30))
        source.start()
        try:
            first = fake.notification()
            source.configure(SourceSettings(60, ignore_inhibitors=True))
            eventually(lambda: fake.notification() != first, "a new notification")
            created = [r for r in fake.requests if r[0] == "ext_idle_notifier_v1"]
            assert [r[1] for r in created] == [1, 2]
            assert wlwire.decode("nuo", created[1][2])[1] == 30000
            assert ("ext_idle_notification_v1", 0, b"") in fake.requests  # old one destroyed
            assert source.protocol == "ext_idle_notifier_v1 v2, input only"
        finally:
            source.stop()
    finally:
        fake.close()
