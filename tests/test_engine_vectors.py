"""The spec's vectors, replayed through the engine and through `ergod simulate`."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from ergod.replay.trace import read_trace

HERE = Path(__file__).parent
VECTORS = HERE / "data" / "vectors"
SHARED = HERE.parent.parent / "shared" / "spec" / "vectors"
NAMES = sorted(p.name for p in VECTORS.iterdir())


def test_vectors_are_present() -> None:
    assert len(NAMES) >= 18


@pytest.mark.skipif(not SHARED.exists(), reason="../shared is not beside this clone")
def test_copied_vectors_match_the_spec() -> None:
    """A changed or added vector in ../shared must be copied here."""
    shared = sorted(p.name for p in SHARED.iterdir())
    assert shared == NAMES
    for name in shared:
        for src in sorted((SHARED / name).iterdir()):
            copy = VECTORS / name / src.name
            assert copy.exists(), f"{copy} missing"
            assert copy.read_bytes() == src.read_bytes(), f"{copy} differs from the spec"


@pytest.mark.parametrize("name", NAMES)
def test_trace_parses(name: str) -> None:
    events = read_trace(VECTORS / name / "trace.csv")
    assert events, name
    assert all(a.t <= b.t for a, b in itertools.pairwise(events))


def expected(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((VECTORS / name / "expected.json").read_text())
    return data


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No system or user configuration: only the built-in defaults and --config."""
    monkeypatch.setenv("ERGOD_SYSTEM_DIR", str(tmp_path / "etc"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path


def run_simulate(name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    from ergod.cli import main

    argv = ["simulate", "--trace", str(VECTORS / name / "trace.csv"), "--json"]
    config = VECTORS / name / "config.toml"
    if config.exists():
        argv += ["--config", str(config)]
    assert main(argv) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_simulate_matches_vector(
    name: str, clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    got = run_simulate(name, capsys)
    reminders = got["reminders"]
    assert isinstance(reminders, list)
    for r in reminders:
        # `exercise` is the project's choice; the vectors leave it out.
        exercise = r.pop("exercise")
        assert (exercise is None) == (r["first_prompt"] is None)
    assert got == expected(name)


@pytest.mark.parametrize("name", NAMES)
def test_idle_first_matches_vector(name: str, clean_env: Path) -> None:
    """The daemon's idle-first path reaches the vector's answer too."""
    from engine_support import run_idle_first

    from ergod.config.compose import engine_rules, load
    from ergod.environment import Environment
    from ergod.replay.simulation import to_json

    config = VECTORS / name / "config.toml"
    loaded = load(Environment.from_os(), [config] if config.exists() else [])
    pairs = [(e.t, e.kind) for e in read_trace(VECTORS / name / "trace.csv")]
    run = run_idle_first(pairs, engine_rules(loaded.config))
    got = to_json(run.result)
    for r in got["reminders"]:
        r.pop("exercise")
    assert got == expected(name)
