"""A break's phases (ergod/core/phases.py): the diagram in docs/architecture.md is
the transition table, the engine makes only the table's transitions on any trace,
and the vectors and a few scenarios make every one of them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import chain, groupby
from pathlib import Path

import pytest
from engine_support import Pair, rules, traces
from hypothesis import given, settings
from hypothesis import strategies as st

from ergod.core import KIND_ORDER, BreakResolved, Engine, EventKind, Kind, Outcome, Rules
from ergod.core.phases import ALLOWED, EDGES, Phase, PhaseChange, mermaid
from ergod.replay.trace import read_trace

HERE = Path(__file__).parent
VECTORS = HERE / "data" / "vectors"
STARTS = {e.target for e in EDGES if e.source is None}


def test_the_docs_diagrams_are_the_table() -> None:
    text = (HERE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```mermaid\n(.*?)```", text, re.DOTALL)
    assert blocks == [mermaid(reload=False), mermaid(reload=True)]


class Observed:
    """An engine with an observer that checks each change against the table
    and against the phase the engine reports."""

    def __init__(self, rules: Rules) -> None:
        self.changes: list[PhaseChange] = []
        self.engine = Engine(rules, observer=self._changed)
        self.phases = {k: self.engine.phase(k) for k in KIND_ORDER}
        assert set(self.phases.values()) <= STARTS

    def _changed(self, change: PhaseChange) -> None:
        assert (change.source, change.target) in ALLOWED, change
        assert change.source is self.phases[change.kind], change
        self.phases[change.kind] = change.target
        self.changes.append(change)

    def check(self) -> None:
        assert self.phases == {k: self.engine.phase(k) for k in KIND_ORDER}
        open_phases = [k for k, p in self.phases.items() if p in (Phase.OPEN, Phase.DECIDING)]
        assert len(open_phases) <= 1
        assert self.engine.open_kind() == (open_phases[0] if open_phases else None)
        for view in self.engine.view(0.0).kinds:
            assert view.phase is self.phases[view.kind]
            assert (view.next_due is not None) == (view.phase is Phase.RUNNING)

    def run(self, pairs: Sequence[Pair]) -> Iterator[float]:
        """Feed the trace a timestamp at a time, yielding after each."""
        for t, group in groupby(pairs, key=lambda p: p[0]):
            self.engine.handle(t, [kind for _, kind in group])
            self.check()
            yield t

    def pairs(self) -> set[tuple[Phase, Phase]]:
        return {(c.source, c.target) for c in self.changes}


def toggled(r: Rules, kind: Kind) -> Rules:
    kr = r.kind(kind)
    new = replace(kr, enabled=not kr.enabled)
    return replace(r, movement=new) if kind is Kind.MOVEMENT else replace(r, stretch=new)


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@settings(max_examples=500, deadline=None)
@given(rules(), traces(), st.data())
def test_only_the_diagrams_transitions_happen(
    r: Rules, pairs: list[Pair], data: st.DataObject
) -> None:
    """Random traces with calls, videos, quiet time and now and then a reload
    switching a kind off or on: every phase change is an edge of the table."""
    observed = Observed(r)
    reloads = data.draw(st.lists(st.tuples(st.integers(0, 200), st.sampled_from(KIND_ORDER))))
    when = dict(reloads)
    for i, t in enumerate(observed.run(pairs)):
        if i in when:
            r = toggled(r, when[i])
            observed.engine.reconfigure(t, r)
            observed.check()


def vector_pairs() -> Iterator[tuple[Rules, list[Pair]]]:
    from ergod.config.compose import engine_rules, load
    from ergod.environment import Environment

    for folder in sorted(VECTORS.iterdir()):
        config = folder / "config.toml"
        loaded = load(Environment.from_os(), [config] if config.exists() else [])
        pairs = [(e.t, e.kind) for e in read_trace(folder / "trace.csv")]
        yield engine_rules(loaded.config), pairs


def typing(start: float, end: float, step: float = 5.0) -> list[Pair]:
    out: list[Pair] = []
    t = start
    while t <= end:
        out.append((t, EventKind.INPUT))
        t += step
    return out


STRETCH_ONLY = replace(Rules(), movement=replace(Rules().movement, enabled=False))
MOVEMENT_ONLY = replace(Rules(), stretch=replace(Rules().stretch, enabled=False))

# Edges no vector makes, each with a trace that does.
SCENARIOS: list[tuple[str, Rules, list[Pair]]] = [
    (
        # Movement falls due at 1800 with the user 65 s away (waiting); quiet
        # time starts; the user is back after 105 s, short of 3 min.
        "waiting-suppressed",
        MOVEMENT_ONLY,
        [*typing(0, 1735), (1810.0, EventKind.QUIET_START), *typing(1840, 1900)],
    ),
    (
        # Stretch prompt at 1200; quiet time from 1301; its second prompt, due
        # at 1800, is not shown.
        "open-suppressed",
        STRETCH_ONLY,
        [*typing(0, 1300), (1301.0, EventKind.QUIET_START), *typing(1305, 1900)],
    ),
    (
        # Stretch deadline 1920 (prompts 1200, 1800, grace 2m); the user left at
        # 1910 and the absence reaches 20 s at 1930: taken while deciding.
        "deciding-halted",
        STRETCH_ONLY,
        [*typing(0, 1910), *typing(2000, 2010)],
    ),
]


def test_every_edge_happens_in_the_vectors_or_the_scenarios(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ERGOD_SYSTEM_DIR", str(tmp_path / "etc"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    runs = [*vector_pairs(), *[(r, pairs) for _, r, pairs in SCENARIOS]]
    seen: set[tuple[Phase, Phase]] = set()
    for r, pairs in runs:
        observed = Observed(r)
        for _ in observed.run(pairs):
            pass
        seen |= observed.pairs()
    seen |= reload_pairs(runs)
    assert seen == ALLOWED


def reload_pairs(runs: list[tuple[Rules, list[Pair]]]) -> set[tuple[Phase, Phase]]:
    """Switch a kind off the first time it is found in each phase, then on again."""
    seen: set[tuple[Phase, Phase]] = set()
    wanted = {p for p in Phase if p is not Phase.OFF}
    for r, pairs in runs:
        observed = Observed(r)
        for t in chain([0.0], observed.run(pairs)):  # 0.0: before the first event
            for kind in KIND_ORDER:
                phase = observed.engine.phase(kind)
                if phase in wanted:
                    wanted.discard(phase)
                    switch_off_and_on(observed, r, kind, t)
        seen |= observed.pairs()
    assert not wanted, f"no run reaches {wanted}"
    return seen


def switch_off_and_on(observed: Observed, r: Rules, kind: Kind, t: float) -> None:
    opened = observed.engine.phase(kind) in (Phase.OPEN, Phase.DECIDING)
    effects = observed.engine.reconfigure(t, toggled(r, kind))
    outcomes = [e.record.outcome for e in effects if isinstance(e, BreakResolved)]
    assert outcomes == [Outcome.SUPPRESSED] * opened
    assert observed.engine.phase(kind) is Phase.OFF
    observed.engine.reconfigure(t, r)
    observed.check()
