"""The core stays pure: an allowlist of imports for every module in ergod/core/,
no clock read, no sleep, no file or terminal I/O."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from import_support import loaded_after

CORE = Path(__file__).parent.parent / "ergod" / "core"
ALLOWED_MODULES = {
    "__future__",
    "typing",
    "dataclasses",
    "enum",
    "collections",
    "math",
    "bisect",
    "heapq",
    "itertools",
    "functools",
    # Calendar arithmetic on moments passed in (schedule); reading the clock
    # through it is caught below.
    "datetime",
    "ergod",
}
FORBIDDEN_CALLS = {"open", "print", "input"}
CLOCK_ATTRIBUTES = {"now", "today", "utcnow", "time", "monotonic", "sleep", "perf_counter"}


def _core_modules() -> list[Path]:
    return sorted(CORE.glob("*.py"))


def test_the_core_folder_is_not_empty() -> None:
    assert len(_core_modules()) >= 6


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: p.name)
def test_core_module_imports_only_the_allowlist(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            assert name.split(".")[0] in ALLOWED_MODULES, f"{path.name} imports {name}"
            if name.startswith("ergod."):
                # Only the core itself; a TYPE_CHECKING import of config types is fine.
                assert name.startswith("ergod.core") or _type_checking_only(tree, node), (
                    f"{path.name} imports {name} at run time"
                )


@pytest.mark.parametrize("path", _core_modules(), ids=lambda p: p.name)
def test_core_module_reads_no_clock_and_does_no_io(path: Path) -> None:
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id not in FORBIDDEN_CALLS, f"{path.name} calls {func.id}"
            if isinstance(func, ast.Attribute):
                assert func.attr not in CLOCK_ATTRIBUTES, f"{path.name} calls .{func.attr}()"


def _type_checking_only(tree: ast.Module, target: ast.AST) -> bool:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
            and any(child is target for stmt in node.body for child in ast.walk(stmt))
        ):
            return True
    return False


def test_importing_the_core_loads_nothing_heavy() -> None:
    code = (
        "import ergod.core, ergod.core.presence, ergod.core.schedule, ergod.core.quiet\n"
        "import ergod.replay.simulation"
    )
    assert loaded_after(code) == []
