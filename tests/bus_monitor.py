"""`dbus-monitor` on a private bus: what a real client put on the wire.

dunst keeps no record of the hints it received (neither `dunstctl history`
nor its `-print` log shows `sound-name`), so tests that check hints watch
the bus itself. The test bus allows eavesdropping (tests/servers.py), and
`dbus-monitor` becomes a monitor there.

`BusMonitor(address, rule)` starts it and waits until it listens;
`hints()` parses the `a{sv}` hints of every `Notify` call seen so far, oldest
first; `wait_for(predicate)` polls until they satisfy it.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servers import require_tool, stop_process

WAIT = 10.0
NOTIFY_RULE = "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"
_ENTRY = re.compile(r'dict entry\(\s*string "([^"]*)"\s*variant\s+(\w+) "?(.*?)"?\s*\)', re.DOTALL)


class BusMonitor:
    def __init__(self, address: str, rule: str = NOTIFY_RULE) -> None:
        exe = require_tool("dbus-monitor")
        self._dir = tempfile.TemporaryDirectory(prefix="ergod-mon-")
        self.log = Path(self._dir.name) / "monitor.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [exe, "--address", address, rule],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        # It prints the bus's NameAcquired/NameLost signals once it is a monitor.
        self._wait(lambda: "NameLost" in self.text() or "NameAcquired" in self.text(), "listen")

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def calls(self) -> list[str]:
        """The printed body of each matching method call, oldest first."""
        return [chunk for chunk in self.text().split("method call ")[1:]]

    def hints(self) -> list[dict[str, str]]:
        """Each Notify call's hints as {name: value text}."""
        found = []
        for call in self.calls():
            found.append({name: value for name, _type, value in _ENTRY.findall(call)})
        return found

    def wait_for(
        self, predicate: Callable[[list[dict[str, str]]], bool], what: str = "a Notify call"
    ) -> list[dict[str, str]]:
        return self._wait(lambda: predicate(self.hints()) and self.hints(), what)

    def _wait(self, check: Callable[[], Any], what: str) -> Any:
        deadline = time.monotonic() + WAIT
        while True:
            result = check()
            if result:
                return result
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"dbus-monitor: no {what}; it saw:\n{self.text()[-2000:]}")
            time.sleep(0.05)

    def close(self) -> None:
        stop_process(self.proc)
        self._dir.cleanup()

    def __enter__(self) -> BusMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
