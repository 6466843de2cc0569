"""systemd's notify protocol without libsystemd: READY=1, WATCHDOG=1, STOPPING=1.

A datagram to the socket named by `$NOTIFY_SOCKET` (a path, or `@name` in the
abstract namespace). Without the variable, nothing is sent. Failures are
swallowed: a unit that is not `Type=notify` must not break the daemon.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping


def notify(message: str, environ: Mapping[str, str]) -> bool:
    """Send `message`; True if it was sent."""
    address = environ.get("NOTIFY_SOCKET", "")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError:
        return False
    return True
