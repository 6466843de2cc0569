"""The adapter registries are the one list of names: config, docs and selection agree.

`ergod.activity.SOURCES` and `ergod.notify.BACKENDS` each hold one row per
adapter. The config schema accepts exactly their names, the reference in
docs/configuration.md and the comments in the shipped default.toml list
exactly those names in the registry's order, and selection knows each one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ergod.activity import SOURCE_NAMES, SOURCES, candidates
from ergod.config.schema import KEYS
from ergod.notify import BACKEND_NAMES, BACKENDS, open_backend
from ergod.notify.base import NotifierUnavailable

REPO = Path(__file__).resolve().parent.parent
REGISTRIES = {"activity.source": SOURCE_NAMES, "notify.backend": BACKEND_NAMES}


def _documented(key: str) -> tuple[str, ...]:
    """The values the reference's row for `key` lists in its type column."""
    reference = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    [row] = [line for line in reference.splitlines() if line.startswith(f"| `{key}` |")]
    kind = row.split("|")[3]
    assert kind.strip().startswith("one of"), row
    return tuple(re.findall(r"`([^`]+)`", kind))


def _commented(key: str) -> str:
    """The comment lines right above `key` in the shipped default.toml, as one text."""
    section, name = key.split(".")
    lines = (REPO / "ergod" / "data" / "default.toml").read_text(encoding="utf-8").splitlines()
    start = lines.index(f"[{section}]")
    at = next(i for i in range(start, len(lines)) if lines[i].startswith(f"{name} ="))
    comment: list[str] = []
    while lines[at - 1].startswith("#"):
        at -= 1
        comment.insert(0, lines[at].lstrip("# "))
    return " ".join(comment)


@pytest.mark.parametrize("key", REGISTRIES)
def test_the_reference_lists_exactly_the_registry(key: str) -> None:
    assert _documented(key) == REGISTRIES[key]


@pytest.mark.parametrize("key", REGISTRIES)
def test_default_toml_names_every_value_in_registry_order(key: str) -> None:
    comment = _commented(key)
    found = [re.search(rf"\b{name}\b", comment) for name in REGISTRIES[key]]
    assert all(found), comment
    starts = [match.start() for match in found if match is not None]
    assert starts == sorted(starts), f"not in registry order: {comment}"


@pytest.mark.parametrize("key", REGISTRIES)
def test_the_schema_accepts_exactly_the_registry(key: str) -> None:
    value_type = KEYS[key]
    for name in REGISTRIES[key]:
        assert value_type.parse(name.upper()) == name
        assert value_type.written(value_type.parse(name)) == name
    with pytest.raises(ValueError, match="expected one of " + ", ".join(REGISTRIES[key])):
        value_type.parse("evdev")


def test_every_source_is_tried_by_auto_on_its_platform() -> None:
    tried = [name for platform in ("linux", "win32", "darwin") for name in candidates(platform)]
    assert sorted(tried) == sorted(source.name for source in SOURCES)
    assert candidates("freebsd14") == candidates("linux")
    for source in SOURCES:
        assert (REPO / "ergod" / "activity" / f"{source.module}.py").is_file(), source
        assert source.advice, source


def test_every_backend_opens_or_says_why() -> None:
    """Each row's opener is wired to its backend: console opens anywhere, and the
    others on a platform they do not serve refuse with a reason, not a crash."""
    for backend in BACKENDS:
        try:
            notifier = open_backend(backend.name, {}, sys_platform="win32", root="/nonexistent")
        except NotifierUnavailable as exc:
            assert str(exc), backend
            continue
        assert notifier.name == backend.name
        notifier.stop()
