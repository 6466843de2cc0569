"""The core stays pure: no I/O library, no clock, no sleep, no threads."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).parent.parent / "ergod" / "engine"
FORBIDDEN_MODULES = {
    "pynput",
    "plyer",
    "apscheduler",
    "sqlite3",
    "jeepney",
    "Xlib",
    "psutil",
    "time",
    "datetime",
    "threading",
    "asyncio",
    "socket",
    "os",
    "subprocess",
}
FORBIDDEN_CALLS = {"open", "print", "input"}


def test_core_imports_no_io_library() -> None:
    for path in sorted(CORE.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    assert node.func.id not in FORBIDDEN_CALLS, f"{path}: calls {node.func.id}"
                continue
            for name in names:
                top = name.split(".")[0]
                assert top not in FORBIDDEN_MODULES, f"{path.name} imports {name}"


def test_importing_the_engine_loads_nothing_heavy() -> None:
    code = (
        "import sys, ergod.engine, ergod.engine.presence, ergod.simulation;"
        "print(' '.join(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(out.stdout.split())
    for heavy in ("pynput", "plyer", "apscheduler", "sqlite3", "jeepney", "Xlib", "psutil"):
        assert heavy not in loaded
