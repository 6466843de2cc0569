"""The idle-inhibitor probe (ergod.quiet.inhibitors) against `systemd-inhibit --what=idle`.

No logind runs in this container, so a stand-in logind owns
org.freedesktop.login1 on a private bus given to everyone as the system bus
(DBUS_SYSTEM_BUS_ADDRESS). It implements `Inhibit` the way logind does: it
hands the caller the write end of a pipe as a Unix file descriptor, keeps the
read end, and drops the inhibitor when that end reports a hang-up (the holder
exited). The real `systemd-inhibit` is the client, so the inhibitor lives
exactly as long as the program it runs. GNOME's SessionManager is a stand-in
answering `IsInhibited` on a private session bus.
"""

from __future__ import annotations

import logging
import os
import select
import subprocess
import threading
import time
from collections.abc import Iterator

import pytest
from dbus_services import Reply, Service
from jeepney import HeaderFields, Message, MessageType, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.fds import FileDescriptor
from jeepney.io.blocking import open_dbus_connection
from servers import require_tool, running_dbus_session, stop_process
from sound_server import WAIT, eventually

from ergod.quiet.inhibitors import InhibitorProbe, idle_blockers

LOG = logging.getLogger("test-inhibitors")


class InhibitingLogind:
    """org.freedesktop.login1's Inhibit and ListInhibitors, with real fd passing."""

    def __init__(self, address: str) -> None:
        self.inhibitors: dict[int, tuple[str, str, str, str, int, int]] = {}  # read fd -> entry
        self._lock = threading.Lock()
        self._conn = open_dbus_connection(address, enable_fds=True)
        reply = self._conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.login1"))
        assert reply.body[0] == 1
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                msg = self._conn.receive(timeout=0.2)
            except TimeoutError:
                self._reap()
                continue
            except OSError:
                return
            self._reap()
            if msg.header.message_type != MessageType.method_call:
                continue
            member = msg.header.fields.get(HeaderFields.member)
            if member == "Inhibit":
                self._inhibit(msg)
            elif member == "ListInhibitors":
                with self._lock:
                    entries = list(self.inhibitors.values())
                self._conn.send(new_method_return(msg, "a(ssssuu)", (entries,)))

    def _inhibit(self, msg: Message) -> None:
        what, who, why, mode = msg.body
        sender = msg.header.fields[HeaderFields.sender]
        uid = self._conn.send_and_get_reply(message_bus.GetConnectionUnixUser(sender)).body[0]
        pid = self._conn.send_and_get_reply(message_bus.GetConnectionUnixProcessID(sender)).body[0]
        read_end, write_end = os.pipe()
        with self._lock:
            self.inhibitors[read_end] = (what, who, why, mode, uid, pid)
        self._conn.send(new_method_return(msg, "h", (FileDescriptor(write_end),)))
        # jeepney closes our copy of write_end once sent: the holder has the only one.

    def _reap(self) -> None:
        with self._lock:
            fds = list(self.inhibitors)
        if not fds:
            return
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLHUP)
        for fd, _ in poller.poll(0):
            with self._lock:
                del self.inhibitors[fd]
            os.close(fd)

    def close(self) -> None:
        self._stop = True
        self._thread.join(5)
        self._conn.close()


@pytest.fixture
def system_bus() -> Iterator[str]:
    with running_dbus_session() as address:
        yield address


@pytest.fixture
def logind(system_bus: str) -> Iterator[InhibitingLogind]:
    service = InhibitingLogind(system_bus)
    yield service
    service.close()


def inhibit(system_bus: str, what: str) -> subprocess.Popen[bytes]:
    tool = require_tool("systemd-inhibit")
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": system_bus}
    return subprocess.Popen(
        [tool, f"--what={what}", "--who=mpv", "--why=Playing video", "sleep", "60"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.dbus
def test_systemd_inhibit_idle_is_attended_while_it_runs(
    system_bus: str, logind: InhibitingLogind
) -> None:
    probe = InhibitorProbe({"DBUS_SYSTEM_BUS_ADDRESS": system_bus}, LOG)
    try:
        assert probe.check() is None
        holder = inhibit(system_bus, "idle")
        try:
            answer = eventually(probe.check, lambda a: a is not None)
            assert answer == "keeping the screen awake: mpv"
            assert "Playing video" not in answer  # the why can carry a title: never shown
        finally:
            stop_process(holder)
        assert eventually(probe.check, lambda a: a is None) is None
    finally:
        probe.close()


@pytest.mark.dbus
def test_a_sleep_inhibitor_is_not_presence(system_bus: str, logind: InhibitingLogind) -> None:
    probe = InhibitorProbe({"DBUS_SYSTEM_BUS_ADDRESS": system_bus}, LOG)
    holder = inhibit(system_bus, "sleep:shutdown")
    try:
        deadline = time.monotonic() + WAIT
        while not logind.inhibitors:
            assert time.monotonic() < deadline, "systemd-inhibit never took its inhibitor"
            time.sleep(0.1)
        assert probe.check() is None
    finally:
        stop_process(holder)
        probe.close()


def test_only_this_users_blocking_idle_inhibitors_count() -> None:
    me = os.getuid()
    entries = [
        ("idle", "mpv", "video", "block", me, 1),
        ("sleep:idle", "firefox", "", "block", me, 2),
        ("idle", "delayed", "", "delay", me, 3),
        ("idle", "other user", "", "block", me + 1, 4),
        ("handle-lid-switch", "gnome", "", "block", me, 5),
    ]
    assert idle_blockers(entries, me) == ["mpv", "firefox"]


class GnomeSession(Service):
    """org.gnome.SessionManager.IsInhibited(flags): true when flags include a held one."""

    PATH = "/org/gnome/SessionManager"

    def __init__(self, address: str) -> None:
        super().__init__(address, "org.gnome.SessionManager")
        self.held = 0
        self.handle(self.PATH, "org.gnome.SessionManager", "IsInhibited", self._is_inhibited)

    def _is_inhibited(self, msg: Message) -> Reply:
        return ("b", (bool(msg.body[0] & self.held),))


@pytest.mark.dbus
def test_gnome_idle_inhibition_is_attended(dbus_session: str, system_bus: str) -> None:
    gnome = GnomeSession(dbus_session)
    # logind is not on this "system" bus at all: the probe goes on to the session bus.
    probe = InhibitorProbe(
        {"DBUS_SESSION_BUS_ADDRESS": dbus_session, "DBUS_SYSTEM_BUS_ADDRESS": system_bus}, LOG
    )
    try:
        assert probe.check() is None
        gnome.held = 4  # "suspend" only
        assert probe.check() is None
        gnome.held = 8 | 4  # idle
        assert probe.check() == "keeping the screen awake: an application (GNOME)"
    finally:
        probe.close()
        gnome.close()


def test_no_buses_at_all_is_no_inhibitor(caplog: pytest.LogCaptureFixture) -> None:
    probe = InhibitorProbe({"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/bus"}, LOG)
    with caplog.at_level(logging.WARNING):
        assert probe.check() is None
        assert probe.check() is None
    assert len([r for r in caplog.records if "inhibitors (system bus)" in r.getMessage()]) == 1
    probe.close()
