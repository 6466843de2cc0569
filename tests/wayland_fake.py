"""A scripted Wayland compositor on a real Unix socket, for what no compositor here offers.

No compositor in Debian 12 offers ext_idle_notifier_v1 version 2, so these
bytes are constructed from the protocol XML (ext-idle-notify-v1.xml,
org_kde_kwin_idle in plasma-wayland-protocols' idle.xml), not recorded from a
compositor. The fake answers only what ergod asks: wl_display.get_registry and
sync, wl_registry.bind, and it records every request it gets. The test sends
`idled`/`resumed` or a `wl_display.error` when it wants.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from ergod.activity import wlwire


class FakeCompositor:
    """One client at a time; `requests` lists (interface, opcode, body) in arrival order."""

    def __init__(self, path: Path, globals_: dict[str, int]) -> None:
        self.path = path
        self.globals = list(globals_.items())
        self.requests: list[tuple[str, int, bytes]] = []
        self.bound: dict[str, tuple[int, int]] = {}  # interface -> (object id, version)
        self.objects: dict[int, str] = {1: "wl_display"}
        # interface -> called with the new object id once the client binds it.
        self.on_bind: dict[str, Callable[[int], None]] = {}
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(4)
        self._client: socket.socket | None = None
        self._lock = threading.Lock()
        self.connected = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.close()
        if self._client is not None:
            self._client.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            with self._lock:
                self._client = client
                self.objects = {1: "wl_display"}
            self.connected.set()
            buffer = b""
            while True:
                try:
                    data = client.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                buffer += data
                while len(buffer) >= 8:
                    object_id, word = wlwire._HEADER.unpack_from(buffer)
                    size = word >> 16
                    if len(buffer) < size:
                        break
                    self._request(object_id, word & 0xFFFF, buffer[8:size])
                    buffer = buffer[size:]

    def send(self, object_id: int, opcode: int, signature: str = "", *args: object) -> None:
        body = wlwire.encode(signature, args)
        message = wlwire._HEADER.pack(object_id, (8 + len(body)) << 16 | opcode) + body
        with self._lock, contextlib.suppress(OSError):  # the client may have left
            assert self._client is not None
            self._client.sendall(message)

    def _request(self, object_id: int, opcode: int, body: bytes) -> None:
        interface = self.objects.get(object_id, "?")
        self.requests.append((interface, opcode, body))
        if interface == "wl_display" and opcode == 0:  # sync
            (callback,) = wlwire.decode("n", body)
            self.send(int(callback), 0, "u", 0)  # type: ignore[call-overload]
            self.send(1, 1, "u", callback)  # delete_id
        elif interface == "wl_display" and opcode == 1:  # get_registry
            (registry,) = wlwire.decode("n", body)
            self.objects[int(registry)] = "wl_registry"  # type: ignore[call-overload]
            for name, (iface, version) in enumerate(self.globals, start=1):
                self.send(int(registry), 0, "usu", name, iface, version)  # type: ignore[call-overload]
        elif interface == "wl_registry" and opcode == 0:  # bind
            name, iface, version, new = wlwire.decode("usun", body)
            self.objects[int(new)] = str(iface)  # type: ignore[call-overload]
            self.bound[str(iface)] = (int(new), int(version))  # type: ignore[call-overload]
            hook = self.on_bind.get(str(iface))
            if hook is not None:
                hook(int(new))  # type: ignore[call-overload]
        elif interface == "ext_idle_notifier_v1" and opcode in (1, 2):
            (new,) = wlwire.decode("n", body[:4])
            self.objects[int(new)] = "ext_idle_notification_v1"  # type: ignore[call-overload]
        elif interface == "org_kde_kwin_idle" and opcode == 0:
            (new,) = wlwire.decode("n", body[:4])
            self.objects[int(new)] = "org_kde_kwin_idle_timeout"  # type: ignore[call-overload]

    def notification(self) -> int:
        """The id of the newest idle notification the client created."""
        kinds = ("ext_idle_notification_v1", "org_kde_kwin_idle_timeout")
        return max(i for i, kind in self.objects.items() if kind in kinds)

    def idled(self) -> None:
        self.send(self.notification(), 0)

    def resumed(self) -> None:
        self.send(self.notification(), 1)

    def error(self, object_id: int, code: int, message: str) -> None:
        self.send(1, 0, "ous", object_id, code, message)
        with self._lock:
            assert self._client is not None
            self._client.shutdown(socket.SHUT_RDWR)
