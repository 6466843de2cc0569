"""In a call: a microphone being recorded or a camera open by one of the user's programs.

`CallProbe` answers "in a call: microphone in use by zoom" (or camera, or both)
without any list of call programs. It holds quiet time on (no prompt during a
call) and attended time (`attended = True`: the user is at the desk although
they type nothing), so the daemon sends both `attend_start` and `quiet_start`
for a call (spec section 6; docs/quiet-time.md says how the daemon wires it).

* Microphone: the recording streams (source outputs) of the user's PulseAudio
  or pipewire-pulse server, read with `ergod.quiet.pulse`. A stream counts when
  an application owns it (not a module's own filter or remap stream), it is not
  paused (corked), its role is not "filter", it does not record a monitor (that
  is what the speakers play, not a microphone), and its application is not a
  level meter or an always-on effects processor (`NOT_CALLS`).
* Camera: a video4linux character device (major number 81, /dev/video*) open in
  one of this user's processes, found in /proc/PID/fd. PipeWire's camera
  portal opens the device in the user's `pipewire` process, so a camera used
  through PipeWire shows as "camera in use by pipewire".

Only names are read, never sound or pictures.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path

from ergod.quiet.base import FailureLog
from ergod.quiet.pulse import PulseClient, PulseError, Recording, server_socket
from ergod.reasons import in_call

VIDEO4LINUX_MAJOR = 81

# Programs that record all the time without a call: level meters in mixers,
# effects processors and audio visualisers. Lowercase application names or ids.
NOT_CALLS = frozenset(
    {
        "ergod",
        "pavucontrol",
        "pulseaudio volume control",
        "org.pulseaudio.pavucontrol",
        "pavucontrol-qt",
        "pwvucontrol",
        "plasma-pa",
        "org.kde.plasma.volume",
        "gnome-control-center",
        "org.gnome.settings",
        "easyeffects",
        "com.github.wwmm.easyeffects",
        "pulseeffects",
        "noisetorch",
        "cava",
    }
)


def counts_as_call(recording: Recording) -> bool:
    """Whether a stream looks like someone talking (before the monitor check)."""
    if not recording.client_owned or recording.corked or recording.role == "filter":
        return False
    names = {
        recording.app.lower(),
        recording.props.get("application.id", "").lower(),
        recording.props.get("application.process.binary", "").lower(),
    }
    return not (names & NOT_CALLS)


def camera_users(proc: Path = Path("/proc"), uid: int | None = None) -> list[str]:
    """Names of this user's processes holding a video4linux device open, sorted, once each."""
    me = os.getuid() if uid is None else uid
    root = str(proc)
    users: set[str] = set()
    with contextlib.suppress(OSError):
        for pid in os.listdir(root):
            if not pid.isdigit():
                continue
            with contextlib.suppress(OSError):  # the process may be gone, or not ours
                if os.stat(f"{root}/{pid}", follow_symlinks=False).st_uid != me:
                    continue
                if _holds_camera(f"{root}/{pid}/fd"):
                    users.add(_process_name(Path(root, pid)))
    return sorted(users)


def _holds_camera(fd_dir: str) -> bool:
    for fd in os.listdir(fd_dir):
        path = f"{fd_dir}/{fd}"
        with contextlib.suppress(OSError):
            target = os.readlink(path)
            # Device nodes live in /dev (or, in tests, are named video*): no stat
            # for the many regular files, sockets and pipes a browser holds.
            if not (target.startswith("/dev/") or os.path.basename(target).startswith("video")):
                continue
            info = os.stat(path)  # follows the link to the open file itself
            if stat.S_ISCHR(info.st_mode) and os.major(info.st_rdev) == VIDEO4LINUX_MAJOR:
                return True
    return False


def _process_name(pid_dir: Path) -> str:
    try:
        return (pid_dir / "comm").read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return "a program"


class CallProbe:
    """Quiet and attended while a microphone is recorded or a camera is open.

    Keeps one connection to the sound server, opened on first use and again
    after a failure; each check is one or two round trips bounded by `timeout`,
    plus a walk over this user's /proc/PID/fd. The two halves fail alone: no
    sound server leaves the camera half working, and the reverse.
    """

    name = "calls"
    quiet = True
    attended = True

    def __init__(
        self,
        environ: Mapping[str, str],
        log: logging.Logger | None = None,
        *,
        proc: Path = Path("/proc"),
        timeout: float = 0.5,
    ) -> None:
        log = log or logging.getLogger(__name__)
        self._environ = dict(environ)
        self._proc = proc
        self._timeout = timeout
        self._client: PulseClient | None = None
        self._mic_failure = FailureLog(log, "calls (microphone)")
        self._cam_failure = FailureLog(log, "calls (camera)")

    def check(self) -> str | None:
        return in_call(self._microphone(), self._camera())

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            client.close()

    def _microphone(self) -> list[str]:
        try:
            client = self._connect()
            if client is None:
                return []
            talking = [r for r in client.recording() if counts_as_call(r)]
            apps = [r.app or "a program" for r in talking if not client.is_monitor(r.source)]
        except PulseError as exc:
            self.close()
            self._mic_failure.failed(str(exc))
            return []
        self._mic_failure.ok()
        return apps

    def _connect(self) -> PulseClient | None:
        if self._client is None:
            path = server_socket(self._environ)
            if path is None:
                return None  # no sound server (yet): nothing records
            self._client = PulseClient(path, self._environ, timeout=self._timeout)
        return self._client

    def _camera(self) -> list[str]:
        try:
            users = camera_users(self._proc)
        except Exception as exc:  # the contract: never raise into the engine thread
            self._cam_failure.failed(f"{type(exc).__name__}: {exc}")
            return []
        self._cam_failure.ok()
        return users
