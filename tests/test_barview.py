"""The glance a panel shows (ergod/daemon/barview.py): derived from a real engine,
changed only at sitting-minute crossings and events, and its four line formats."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_engine_purity import ALLOWED_MODULES, CLOCK_ATTRIBUTES, FORBIDDEN_CALLS

from ergod.core import Engine, EventKind, KindRules, Rules
from ergod.daemon import barview
from ergod.daemon.barview import Glance, State, glance_at

RULES = Rules(
    break_after=180.0,
    presence=60.0,
    coalesce=0.0,
    stretch=KindRules(every=1200.0, duration=20.0),
    movement=KindRules(every=1800.0, duration=180.0),
)


def engine_sitting_from(start: float, until: float, rules: Rules = RULES) -> Engine:
    """An engine fed one input every 10 s from `start` to `until`."""
    engine = Engine(rules)
    t = start
    while t <= until:
        engine.handle(t, (EventKind.INPUT,))
        t += 10.0
    return engine


def read(
    engine: Engine,
    t: float,
    reasons: tuple[str, ...] = (),
    mode: str = "idle-first",
    paused_until: str | None = None,
) -> barview.Reading:
    engine.advance(t)
    return glance_at(
        engine.view(t),
        engine.rules,
        reasons=reasons,
        paused_until=paused_until,
        mode=mode,
        source="x11",
    )


def test_sitting_minutes_next_break_and_percentage() -> None:
    engine = engine_sitting_from(0.0, 610.0)
    reading = read(engine, 615.0)
    glance = reading.glance
    assert glance.state is State.OK
    assert glance.sitting_minutes == 10
    assert (glance.next_kind, glance.next_minutes) == ("stretch", 10)
    assert glance.percentage == 33  # 10 of 30 movement minutes
    assert reading.next_at == 660.0


def test_nobody_sitting_has_no_minute_to_wait_for() -> None:
    engine = Engine(RULES)
    reading = read(engine, 50.0)
    assert reading.glance.sitting_minutes is None
    assert reading.next_at is None
    assert reading.glance.state is State.OK
    assert barview.bar_text(reading.glance) == "not sitting"


def test_due_soon_then_open_then_resolved() -> None:
    engine = engine_sitting_from(0.0, 1070.0)
    assert read(engine, 1075.0).glance.state is State.OK  # 17 min sat, 3 to go
    for t in range(1080, 1200, 10):
        engine.handle(float(t), (EventKind.INPUT,))
    due = read(engine, 1195.0).glance
    assert due.state is State.DUE
    assert barview.bar_text(due) == "stretch in 1 min"
    engine.handle(1200.0, (EventKind.INPUT,))
    opened = read(engine, 1201.0).glance
    assert opened.state is State.OPEN
    assert opened.open_kind == "stretch"
    engine.handle(1210.0, (EventKind.SKIP,))
    after = read(engine, 1211.0).glance
    assert after.state is State.OK
    assert after.open_kind is None


def test_pause_and_quiet_take_precedence() -> None:
    engine = engine_sitting_from(0.0, 130.0)
    paused = read(engine, 135.0, reasons=("paused", "zoom"), paused_until="14:30").glance
    assert paused.state is State.PAUSED
    assert paused.quiet == ("zoom",)
    assert barview.bar_text(paused) == "paused until 14:30"
    quiet = read(engine, 136.0, reasons=("outside the schedule",)).glance
    assert quiet.state is State.QUIET
    assert quiet.paused_until is None


def test_schedule_only_is_its_own_class() -> None:
    engine = engine_sitting_from(0.0, 130.0)
    glance = read(engine, 135.0, mode="schedule-only").glance
    assert glance.state is State.SCHEDULE_ONLY
    assert "no activity source" in barview.tooltip(glance)


def test_a_break_waiting_for_the_return_is_due_now() -> None:
    rules = Rules(
        break_after=600.0,
        presence=60.0,
        coalesce=0.0,
        stretch=KindRules(every=300.0, duration=20.0),
        movement=KindRules(enabled=False),
    )
    engine = Engine(rules)
    engine.handle(0.0, (EventKind.INPUT,))
    engine.handle(200.0, (EventKind.INPUT,))  # then away past the 300 s due moment
    glance = read(engine, 320.0).glance
    assert (glance.next_kind, glance.next_minutes, glance.state) == ("stretch", 0, State.DUE)
    assert glance.percentage == 100  # stretch stands in for the movement clock
    assert barview.bar_text(glance) == "stretch break due"
    away = read(engine, 801.0).glance  # the bout ended: the absence is a natural break
    assert (away.state, away.next_kind, away.percentage) == (State.OK, None, 0)
    assert barview.bar_text(away) == "not sitting"


@given(
    sat=st.integers(min_value=0, max_value=40),
    a=st.floats(min_value=0.0, max_value=59.9),
    b=st.floats(min_value=0.0, max_value=59.9),
)
def test_within_one_sitting_minute_the_glance_does_not_change(sat: int, a: float, b: float) -> None:
    """A bar line for every job would be a line for every idle check: only the
    minute crossing (or an event) may change what a bar shows."""
    start = 1000.0
    engine = Engine(RULES)
    fed = start

    def sit_until(t: float) -> None:
        nonlocal fed
        while fed <= t:
            engine.handle(fed, (EventKind.INPUT,))
            fed += 5.0

    begin = start + 60 * sat
    sit_until(begin + min(a, b))
    first = read(engine, begin + min(a, b))
    sit_until(begin + max(a, b))
    second = read(engine, begin + max(a, b))
    assert first.glance == second.glance
    assert first.next_at == second.next_at == start + 60 * (sat + 1)
    sit_until(begin + 60.5)
    crossed = read(engine, begin + 60.5)
    assert crossed.glance.sitting_minutes == sat + 1


def test_the_wire_form_round_trips() -> None:
    glance = read(engine_sitting_from(0.0, 400.0), 401.0, reasons=("paused",)).glance
    assert Glance.from_json(json.loads(json.dumps(glance.to_json()))) == glance


@pytest.mark.parametrize(
    "data",
    [{}, {"state": "dancing"}, {"state": "ok", "sitting_minutes": "ten"}],
)
def test_a_wrong_glance_is_a_value_error(data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="not a glance"):
        Glance.from_json(data)


def _glance(**changes: object) -> Glance:
    base: dict[str, object] = {
        "state": State.OK,
        "sitting_minutes": 34,
        "next_kind": "stretch",
        "next_minutes": 6,
        "open_kind": None,
        "percentage": 56,
        "paused": False,
        "paused_until": None,
        "quiet": (),
        "mode": "idle-first",
        "source": "x11",
    }
    base.update(changes)
    return Glance(**base)  # type: ignore[arg-type]


def test_waybar_line() -> None:
    line = json.loads(barview.waybar(_glance()))
    assert line == {
        "text": "sitting 34 min",
        "alt": "ok",
        "tooltip": "Sitting for 34 min\nNext: stretch break in 6 min",
        "class": "ok",
        "percentage": 56,
    }
    off = json.loads(barview.waybar(None))
    assert (off["class"], off["text"]) == ("off", "ergod off")


def test_i3blocks_line() -> None:
    ok = json.loads(barview.i3blocks(_glance(sitting_minutes=75)))
    assert ok == {
        "full_text": "sitting 1 h 15 min \u00b7 stretch in 6 min",
        "short_text": "75m",
        "urgent": False,
    }
    opened = json.loads(barview.i3blocks(_glance(state=State.OPEN, open_kind="movement")))
    assert opened["full_text"] == "movement break"
    assert opened["urgent"] is True
    assert opened["color"] == barview.I3_COLORS[State.OPEN]


def test_text_lines() -> None:
    assert barview.text_line(_glance()) == "sitting 34 min \u00b7 stretch in 6 min"
    assert barview.text_line(_glance(state=State.PAUSED, paused=True)) == "paused"
    assert barview.text_line(None) == "ergod off"
    assert "\n" not in barview.text_line(_glance(quiet=("zoom",), state=State.QUIET))


def test_tooltip_names_every_part() -> None:
    text = barview.tooltip(
        _glance(
            state=State.PAUSED,
            paused=True,
            paused_until="Tue 09:00",
            quiet=("do not disturb",),
            open_kind="stretch",
            sitting_minutes=None,
            next_minutes=None,
        )
    )
    assert text.splitlines() == [
        "Not sitting",
        "Open: stretch break",
        "Next: stretch break",
        "Paused until Tue 09:00",
        "Quiet: do not disturb",
    ]


def test_barview_is_pure_and_light() -> None:
    """`ergod status` imports it: the standard library's pure parts only, and
    `ergod.i18n` for its words (gettext; Babel only on a formatting call), also
    through `ergod.reasons` (the quiet-time reasons), which holds to the same."""
    for path in (Path(barview.__file__), Path(barview.__file__).parents[1] / "reasons.py"):
        _holds_to_pure_and_light(path)


def _holds_to_pure_and_light(path: Path) -> None:
    tree = ast.parse(path.read_text())
    light = ("ergod.i18n", "ergod.reasons")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("ergod"):
            assert node.module.startswith("ergod.core") or node.module in light, node.module
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                assert str(name).split(".")[0] in ALLOWED_MODULES | {"json"}, name
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                assert func.id not in FORBIDDEN_CALLS
            if isinstance(func, ast.Attribute):
                assert func.attr not in CLOCK_ATTRIBUTES
