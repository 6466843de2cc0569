"""What ergod/ imports: no cycle among its modules, nothing undeclared from outside.

Every `import` and `from ... import` counts, at the top of a module or inside
a function (a lazy import only postpones a cycle, or a missing dependency),
except those under `if TYPE_CHECKING:`. A name imported from a package counts
as an import of its submodule when there is one, else of the package.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ERGOD = Path(__file__).resolve().parent.parent / "ergod"


def _modules() -> dict[str, Path]:
    found = {}
    for path in ERGOD.rglob("*.py"):
        parts = list(path.relative_to(ERGOD.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported_names(path: Path) -> list[str]:
    """Every module name `path` imports at run time, as written."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped = _type_checking_nodes(tree)
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(inner) for inner in ast.walk(node))
    return skipped


def import_graph() -> dict[str, set[str]]:
    """Module -> the ergod modules it imports at run time."""
    modules = _modules()

    def owner(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        names = _imported_names(path)
        targets = {owner(name) for name in names if name.split(".")[0] == "ergod"}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected parts with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            part = []
            while True:
                member = stack.pop()
                part.append(member)
                if member == module:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_ergod_has_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_check_sees_lazy_imports_and_cycles() -> None:
    """Guards the test above against passing because it looked at nothing."""
    graph = import_graph()
    assert {"ergod.activity.listener", "ergod.activity.xserver"} <= graph["ergod.activity.x11"]
    # Inside a function: the doctor imports the activity package only when it runs.
    assert "ergod.activity" in graph["ergod.fleet.doctor"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_library_ergod_imports_is_a_declared_dependency() -> None:
    pyproject = tomllib.loads((ERGOD.parent / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        _normal(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])
        for requirement in pyproject["project"]["dependencies"]
    }
    top_level = {
        name.split(".")[0] for path in ERGOD.rglob("*.py") for name in _imported_names(path)
    }
    outside = sorted(top_level - set(sys.stdlib_module_names) - {"ergod"})
    assert "pynput" in outside and "tzlocal" in outside  # the check sees lazy imports
    distributions = packages_distributions()
    undeclared = [
        name
        for name in outside
        if not {_normal(d) for d in distributions.get(name, [name])} & declared
    ]
    assert undeclared == [], f"imported by ergod/ but not in pyproject.toml: {undeclared}"


# Sizes (issue 10): no module over about 400 lines, no class over about 250,
# no function over about 60. "About": a module may pass 400 by a few lines
# of docstring, not by a second job.
MODULE_LINES, CLASS_LINES, FUNCTION_LINES = 430, 260, 65


def _oversized(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    found = []
    if len(text.splitlines()) > MODULE_LINES:
        found.append(f"{path}: {len(text.splitlines())} lines")
    for node in ast.walk(ast.parse(text)):
        limit = {ast.ClassDef: CLASS_LINES, ast.FunctionDef: FUNCTION_LINES}.get(type(node))
        if limit is not None and isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit:
                found.append(f"{path}:{node.lineno} {node.name}: {length} lines")
    return found


def test_no_module_class_or_function_outgrows_its_one_job() -> None:
    found = [line for path in sorted(ERGOD.rglob("*.py")) for line in _oversized(path)]
    assert found == []


def test_the_size_check_can_fail(tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    body = "\n".join(f"    x{i} = {i}" for i in range(CLASS_LINES))
    big.write_text(f"class Big:\n{body}\n")
    assert _oversized(big) == [f"{big}:1 Big: {CLASS_LINES + 1} lines"]
