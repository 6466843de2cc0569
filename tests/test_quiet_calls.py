"""Call detection (ergod.quiet.calls, ergod.quiet.pulse) against a real PulseAudio server,
a real recording client (`parecord`) and a camera-like device node held open by a child.

The microphone is real: PulseAudio runs as the unprivileged `nobody` uid with a
null sink whose monitor is remapped into a source (tests/sound_server.py), and
ergod authenticates with that server's cookie, as a client of another uid must.
The camera is a character device node with the video4linux major number (81)
made with mknod in a temporary directory: this kernel has no v4l2 driver, so
the child holds it with O_PATH (no driver call); what is exercised is the walk
over /proc/PID/fd and the device-number test, not a real capture.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import stop_process
from sound_server import WAIT, Pulse, eventually, running_pulseaudio

from ergod.quiet.calls import CallProbe, camera_users, counts_as_call
from ergod.quiet.pulse import PulseClient, PulseError, Recording, _Reader, server_socket
from ergod.reasons import in_call as describe

LOG = logging.getLogger("test-calls")


# ---- pure parts --------------------------------------------------------------


def _rec(app: str = "zoom", **changes: object) -> Recording:
    fields: dict[str, object] = {
        "app": app,
        "source": 1,
        "client_owned": True,
        "corked": False,
        "role": "",
        "props": {"application.name": app},
    }
    fields.update(changes)
    return Recording(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("recording", "call"),
    [
        (_rec(), True),
        (_rec(role="phone"), True),
        (_rec(corked=True), False),  # paused: not capturing
        (_rec(client_owned=False), False),  # a module's own stream
        (_rec(role="filter"), False),  # echo cancelling, remapping
        (_rec("PulseAudio Volume Control"), False),  # pavucontrol's level meters
        (_rec("x", props={"application.id": "org.PulseAudio.pavucontrol"}), False),
        (_rec("EasyEffects"), False),
        (_rec("y", props={"application.process.binary": "cava"}), False),
    ],
)
def test_which_recordings_count_as_a_call(recording: Recording, call: bool) -> None:
    assert counts_as_call(recording) is call


def test_the_reason_names_what_is_in_use() -> None:
    assert describe([], []) is None
    assert describe(["zoom"], []) == "in a call: microphone in use by zoom"
    assert describe([], ["cheese"]) == "in a call: camera in use by cheese"
    assert describe(["zoom", "zoom"], ["zoom"]) == "in a call: microphone and camera in use by zoom"
    assert (
        describe(["firefox", "zoom"], ["zoom"])
        == "in a call: microphone in use by firefox, zoom; camera in use by zoom"
    )


def test_server_socket_follows_pulse_server_then_the_runtime_dir(tmp_path: Path) -> None:
    assert server_socket({"PULSE_SERVER": "unix:/run/x/native"}) == Path("/run/x/native")
    assert server_socket({"PULSE_SERVER": "{abc}unix:/run/y tcp:host"}) == Path("/run/y")
    assert server_socket({"PULSE_SERVER": "tcp:10.0.0.1", "XDG_RUNTIME_DIR": str(tmp_path)}) is None
    assert server_socket({"XDG_RUNTIME_DIR": str(tmp_path)}) is None  # no server there
    (tmp_path / "pulse").mkdir()
    (tmp_path / "pulse" / "native").touch()
    assert server_socket({"XDG_RUNTIME_DIR": str(tmp_path)}) == tmp_path / "pulse" / "native"
    assert server_socket({}) is None


@pytest.mark.parametrize("data", [b"L\x00\x00", b"tno end", b"Z", b"x\x00\x00\x00\x09abc", b"P"])
def test_a_malformed_packet_is_a_pulse_error(data: bytes) -> None:
    with pytest.raises(PulseError):
        _Reader(data).value()


# ---- the microphone, with a real server -----------------------------------------


@pytest.fixture(scope="module")
def pulse() -> Iterator[Pulse]:
    with running_pulseaudio() as server:
        yield server


@pytest.fixture
def probe(pulse: Pulse, tmp_path: Path) -> Iterator[CallProbe]:
    empty_proc = tmp_path / "proc"  # the camera half looks at an empty /proc here
    empty_proc.mkdir()
    probe = CallProbe(pulse.env(), LOG, proc=empty_proc)
    yield probe
    probe.close()


@pytest.mark.e2e
def test_a_recording_is_a_call_within_seconds_and_ends_with_it(
    pulse: Pulse, probe: CallProbe
) -> None:
    assert probe.check() is None
    call = pulse.record("mic", "zoom")
    try:
        answer = eventually(probe.check, lambda a: a is not None)
        assert answer == "in a call: microphone in use by zoom"
    finally:
        stop_process(call)
    assert eventually(probe.check, lambda a: a is None) is None


@pytest.mark.e2e
def test_recording_what_the_speakers_play_is_no_call(pulse: Pulse, probe: CallProbe) -> None:
    """A monitor source (screen recorders, visualisers) is not a microphone."""
    monitor = pulse.record("call.monitor", "obs")
    try:
        client = PulseClient(pulse.socket, pulse.env())
        try:
            deadline = time.monotonic() + WAIT
            while not any(r.app == "obs" for r in client.recording()):
                assert time.monotonic() < deadline, "parecord never showed up as a stream"
                time.sleep(0.2)
        finally:
            client.close()
        assert probe.check() is None
    finally:
        stop_process(monitor)


@pytest.mark.e2e
def test_the_probe_survives_the_server_going_away(
    pulse: Pulse, caplog: pytest.LogCaptureFixture
) -> None:
    empty = Path(tempfile.mkdtemp())
    try:
        with running_pulseaudio() as own:
            probe = CallProbe(own.env(), LOG, proc=empty)
            assert probe.check() is None
            own.proc.kill()
            own.proc.wait()
            with caplog.at_level(logging.WARNING):
                assert probe.check() is None
                assert probe.check() is None
            failures = [r for r in caplog.records if "calls (microphone)" in r.getMessage()]
            assert len(failures) == 1  # logged once, not per check
            probe.close()
    finally:
        empty.rmdir()


# ---- the camera -----------------------------------------------------------------


@pytest.fixture
def camera_node() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="ergod-cam-") as tmp:
        node = Path(tmp) / "video7"
        try:
            os.mknod(node, 0o600 | 0o020000, os.makedev(81, 7))
        except PermissionError:
            pytest.skip("mknod is not allowed here")
        yield node


HOLD = """
import os, sys
fd = os.open(sys.argv[1], os.O_PATH)  # no v4l2 driver here: hold the node, not the device
print("held", flush=True)
sys.stdin.read()
"""


def test_a_camera_held_open_is_a_call_until_closed(camera_node: Path) -> None:
    probe = CallProbe({}, LOG)  # no sound server: the camera half works alone
    assert "camera" not in (probe.check() or "")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(camera_node)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        name = Path(f"/proc/{holder.pid}/comm").read_text().strip()
        assert name in camera_users()
        assert f"camera in use by {name}" in (probe.check() or "")
    finally:
        stop_process(holder)
    assert "camera" not in (probe.check() or "")


def test_a_camera_of_another_user_does_not_count(camera_node: Path) -> None:
    camera_node.parent.chmod(0o755)
    holder = subprocess.Popen(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-c",
            HOLD,
            str(camera_node),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        assert camera_users(uid=65534) != []  # it is seen as that user's
        assert camera_users() == []  # and not as ours
    finally:
        stop_process(holder)
