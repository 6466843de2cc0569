"""A real PulseAudio server for the call-detection tests, and a real recording client.

`running_pulseaudio()` starts `pulseaudio` as the unprivileged `nobody` uid
(PulseAudio refuses root unless run system-wide) with its own
`XDG_RUNTIME_DIR` (0700, owned by that uid) and HOME inside it, loading only:

* the native protocol on `<runtime>/pulse/native`, with its normal
  authentication (same uid by credentials, anyone else by the cookie it
  writes to `<runtime>/.config/pulse/cookie`);
* a null sink `call` (what a call would play), and `mic`: a real source (not
  a monitor) remapped from that sink's monitor, standing in for a microphone.

`Pulse.env()` is the environment a client needs (root reads the cookie);
`Pulse.record(device, name)` starts `parecord` recording from a device under
an application name, as a call program would. `eventually(check, predicate)`
polls a probe as the daemon would, until its answer fits.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from servers import require_tool, stop_process

UID = GID = 65534  # nobody / nogroup
START_TIMEOUT = 20.0
WAIT = 15.0


def eventually(
    check: Callable[[], str | None], predicate: Callable[[str | None], bool]
) -> str | None:
    """Poll `check` every 0.2 s until its answer fits `predicate` (or WAIT passes)."""
    deadline = time.monotonic() + WAIT
    while True:
        answer = check()
        if predicate(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


@dataclass
class Pulse:
    runtime: Path
    proc: subprocess.Popen[bytes]

    @property
    def socket(self) -> Path:
        return self.runtime / "pulse" / "native"

    def env(self) -> dict[str, str]:
        """What a client of this server needs: the socket and the cookie's home."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.runtime),
            "XDG_RUNTIME_DIR": str(self.runtime),
            "PULSE_SERVER": f"unix:{self.socket}",
            "PULSE_COOKIE": str(self.runtime / ".config" / "pulse" / "cookie"),
        }

    def record(self, device: str, name: str) -> subprocess.Popen[bytes]:
        """`parecord` from `device` under the application name `name`, into /dev/null."""
        parecord = require_tool("parecord")
        return subprocess.Popen(
            [parecord, f"--device={device}", f"--client-name={name}", "/dev/null"],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def pactl(self, *args: str) -> str:
        pactl = require_tool("pactl")
        done = subprocess.run(
            [pactl, *args], env=self.env(), capture_output=True, text=True, timeout=20, check=True
        )
        return done.stdout


@contextlib.contextmanager
def running_pulseaudio() -> Iterator[Pulse]:
    pulseaudio = require_tool("pulseaudio")
    setpriv = require_tool("setpriv")
    runtime = Path(tempfile.mkdtemp(prefix="ergod-pulse-"))
    proc: subprocess.Popen[bytes] | None = None
    try:
        os.chown(runtime, UID, GID)
        runtime.chmod(0o700)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(runtime),
            "XDG_RUNTIME_DIR": str(runtime),
        }
        argv = [
            setpriv,
            f"--reuid={UID}",
            f"--regid={GID}",
            "--clear-groups",
            pulseaudio,
            "-n",  # no default script: exactly the modules below
            "--daemonize=no",
            "--exit-idle-time=-1",
            "--disable-shm=yes",
            "--use-pid-file=no",
            "--log-target=stderr",
            "-L",
            f"module-native-protocol-unix socket={runtime}/pulse/native",
            "-L",
            "module-null-sink sink_name=call",
            "-L",
            "module-remap-source source_name=mic master=call.monitor",
        ]
        (runtime / "pulse").mkdir(mode=0o700)
        os.chown(runtime / "pulse", UID, GID)
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        pulse = Pulse(runtime, proc)
        deadline = time.monotonic() + START_TIMEOUT
        cookie = runtime / ".config" / "pulse" / "cookie"
        while not (pulse.socket.exists() and cookie.exists()):
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.poll() is not None and proc.stderr else ""
                raise RuntimeError(f"pulseaudio did not start (exit {proc.poll()}): {err}")
            time.sleep(0.05)
        yield pulse
    finally:
        if proc is not None:
            stop_process(proc)
        shutil.rmtree(runtime, ignore_errors=True)
