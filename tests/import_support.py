"""What a fresh interpreter has loaded after running some code.

For the tests that keep `ergod --help`, `ergod status`, the activity and
notify packages and the pure core light: each runs its imports in a new
process, since this one has long loaded everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable

HEAVY = ("pynput", "apscheduler", "plyer", "jeepney", "sqlite3", "Xlib", "psutil", "babel")
"""Libraries whose import costs time, or pulls in X11, D-Bus or the database."""


def loaded_after(code: str, names: Iterable[str] = HEAVY) -> list[str]:
    """Run `code` in a fresh interpreter (its output discarded); which of the
    modules `names` it left loaded, sorted. Fails the test if `code` fails."""
    wanted = sorted(set(names))
    probe = (
        "import contextlib, io, json, sys\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        + "".join(f"    {line}\n" for line in code.splitlines())
        + f"print(json.dumps([m for m in {wanted!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    found: list[str] = json.loads(result.stdout.splitlines()[-1])
    return found
