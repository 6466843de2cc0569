"""Scenarios beyond the spec's vectors: quiet and attended time, live reload, trace errors.

Each row is a small trace (as `ergod simulate` reads it) and the break records
it must produce, as (kind, due, first_prompt, outcome, outcome_at).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from ergod.core import Engine, EventKind, Kind, Outcome, Rules
from ergod.errors import UsageError
from ergod.replay.simulation import simulate
from ergod.replay.trace import parse_trace


def typing(start: int, end: int, step: int = 5) -> list[str]:
    return [f"{t},input" for t in range(start, end + 1, step)]


Row = tuple[str, list[str], Rules, list[tuple[str, float, float | None, str, float | None]]]

STRETCH_ONLY = replace(Rules(), movement=replace(Rules().movement, enabled=False))
MOVEMENT_ONLY = replace(Rules(), stretch=replace(Rules().stretch, enabled=False))

SCENARIOS: list[Row] = [
    (
        "quiet time suppresses a due stretch once; it catches up 2m after quiet ends",
        ["0,input", "1000,quiet_start", *typing(5, 2000)[1:], "1500,quiet_end"],
        STRETCH_ONLY,
        [
            ("stretch", 1200.0, None, "suppressed", 1200.0),
            ("stretch", 1620.0, 1620.0, "pending", None),
        ],
    ),
    (
        "catch_up 0: the suppressed kind falls due as quiet time ends",
        ["0,input", "1000,quiet_start", *typing(5, 2000)[1:], "1500,quiet_end"],
        replace(STRETCH_ONLY, catch_up=0.0),
        [
            ("stretch", 1200.0, None, "suppressed", 1200.0),
            ("stretch", 1500.0, 1500.0, "pending", None),
        ],
    ),
    (
        "a kind not suppressed in quiet time restarts nothing when it ends",
        ["0,input", "100,quiet_start", *typing(5, 1300)[1:], "1000,quiet_end"],
        STRETCH_ONLY,
        [("stretch", 1200.0, 1200.0, "pending", None)],
    ),
    (
        "a later prompt in quiet time resolves the open break as suppressed",
        [*typing(0, 1300), "1300,quiet_start", *typing(1305, 2500)],
        STRETCH_ONLY,
        [("stretch", 1200.0, 1200.0, "suppressed", 1800.0)],
    ),
    (
        "...and the kind catches up after quiet time like one suppressed when due",
        [*typing(0, 1300), "1300,quiet_start", *typing(1305, 2500), "2000,quiet_end"],
        STRETCH_ONLY,
        [
            ("stretch", 1200.0, 1200.0, "suppressed", 1800.0),
            ("stretch", 2120.0, 2120.0, "pending", None),
        ],
    ),
    (
        "a waiting first prompt whose user returns in quiet time: suppressed at the return",
        [*typing(0, 1735), "1810,quiet_start", *typing(1840, 1900)],
        MOVEMENT_ONLY,
        [("movement", 1800.0, None, "suppressed", 1840.0)],
    ),
    (
        "a catch-up moment in quiet time again is suppressed again",
        [*typing(0, 1700), "1000,quiet_start", "1500,quiet_end", "1600,quiet_start"],
        STRETCH_ONLY,
        [
            ("stretch", 1200.0, None, "suppressed", 1200.0),
            ("stretch", 1620.0, None, "suppressed", 1620.0),
        ],
    ),
    (
        "a deadline in attended time: ignored at the deadline, no absence to wait for",
        [*typing(0, 1200), "1205,attend_start", "3000,attend_end", *typing(3000, 3200)],
        STRETCH_ONLY,
        [
            # prompts at 1200 and 1800 (attended: present), deadline 1920
            ("stretch", 1200.0, 1200.0, "ignored", 1920.0),
            ("stretch", 3120.0, 3120.0, "pending", None),
        ],
    ),
    (
        "an open break is not taken in attended time; the absence after it takes it",
        [*typing(0, 1200), "1205,attend_start", "1500,attend_end", "1700,input"],
        STRETCH_ONLY,
        [("stretch", 1200.0, 1200.0, "taken", 1520.0)],
    ),
    (
        "a snooze with no open break changes nothing",
        ["0,input", "100,snooze", "100,skip", *typing(105, 1300)],
        replace(Rules(), movement=replace(Rules().movement, enabled=False)),
        [("stretch", 1200.0, 1200.0, "pending", None)],
    ),
    (
        "a skip restarts the kind's clock at the skip",
        [*typing(0, 1210), "1210,skip", *typing(1215, 2500)],
        replace(Rules(), movement=replace(Rules().movement, enabled=False)),
        [
            ("stretch", 1200.0, 1200.0, "skipped", 1210.0),
            ("stretch", 2410.0, 2410.0, "pending", None),
        ],
    ),
    (
        "inputs while asleep are dropped; sleeping long is a natural break",
        [*typing(0, 600), "601,sleep", "900,input", "1200,wake", *typing(1205, 1500)],
        Rules(),
        [],
    ),
]


def sorted_by_time(lines: list[str]) -> list[str]:
    return sorted(lines, key=lambda line: float(line.split(",")[0]))


@pytest.mark.parametrize("title,lines,rules,want", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenario(
    title: str, lines: list[str], rules: Rules, want: list[tuple[object, ...]]
) -> None:
    events = parse_trace(sorted_by_time(lines))
    got = [
        (r.kind.value, r.due, r.first_prompt, r.outcome.value, r.outcome_at)
        for r in simulate(events, rules).reminders
    ]
    assert got == want


@pytest.mark.parametrize(
    "title,lines,bouts",
    [
        (
            "a call without input is one bout",
            [*typing(0, 300), "300,attend_start", "7500,attend_end", *typing(7505, 7600)],
            [(0.0, 7600.0)],
        ),
        (
            "attended time that starts after a natural break starts a bout",
            [*typing(0, 300), "700,attend_start", "900,attend_end"],
            [(0.0, 300.0), (700.0, 900.0)],
        ),
        (
            "the absence after attended time starts at its end",
            [*typing(0, 300), "300,attend_start", "900,attend_end", "1000,input"],
            [(0.0, 1000.0)],
        ),
        (
            "a lock ends attended time: the absence starts at the lock",
            [*typing(0, 300), "300,attend_start", "1000,lock", "1400,unlock", "1400,input"],
            [(0.0, 1000.0), (1400.0, 1400.0)],
        ),
        (
            "a sleep ends attended time too",
            [*typing(0, 300), "300,attend_start", "1000,sleep", "1100,wake", "1100,input"],
            [(0.0, 1100.0)],
        ),
        (
            "attend_start while locked is dropped, as an input would be",
            [*typing(0, 300), "301,lock", "400,attend_start", "500,unlock", "900,input"],
            [(0.0, 300.0), (900.0, 900.0)],
        ),
        (
            "attend_end outside attended time changes nothing",
            [*typing(0, 300), "600,attend_end", "700,input"],
            [(0.0, 300.0), (700.0, 700.0)],
        ),
        (
            "a trace that ends in attended time ends its bout at the last event",
            [*typing(0, 300), "300,attend_start", "2000,snooze"],
            [(0.0, 2000.0)],
        ),
    ],
)
def test_attended_time_bouts(
    title: str, lines: list[str], bouts: list[tuple[float, float]]
) -> None:
    result = simulate(parse_trace(lines), Rules())
    assert [(b.start, b.end) for b in result.bouts] == bouts


def test_sleep_splits_the_bout() -> None:
    lines = [*typing(0, 600), "601,sleep", "900,input", "1200,wake", *typing(1205, 1500)]
    result = simulate(parse_trace(lines), Rules())
    assert [(b.start, b.end) for b in result.bouts] == [(0.0, 600.0), (1205.0, 1500.0)]


def test_reload_switching_a_kind_off_and_on() -> None:
    engine = Engine(Rules())
    for t in range(0, 1201, 10):
        engine.handle(float(t), [EventKind.INPUT])
    assert engine.open_kind() is Kind.STRETCH
    off = replace(Rules(), stretch=replace(Rules().stretch, enabled=False))
    resolved = engine.reconfigure(1201.0, off)
    assert [type(e).__name__ for e in resolved] == ["BreakResolved"]
    assert engine.open_kind() is None
    engine.reconfigure(1300.0, Rules())
    assert engine.view(1300.0).kinds[1].next_due == 2500.0


def test_reload_keeps_running_clocks_with_new_lengths() -> None:
    engine = Engine(Rules())
    engine.handle(0.0, [EventKind.INPUT])
    engine.reconfigure(10.0, replace(Rules(), stretch=replace(Rules().stretch, every=600.0)))
    assert engine.next_wakeup() == 180.0  # the natural-break check comes first
    engine.handle(170.0, [EventKind.INPUT])
    assert engine.view(170.0).kinds[1].next_due == 600.0


def test_outcome_values_are_the_spec_strings() -> None:
    assert {o.value for o in Outcome} >= {"taken", "skipped", "ignored", "merged", "pending"}


@pytest.mark.parametrize(
    "text,message",
    [
        ("0,input\nabc,input\n", "t.csv:2: expected a time in seconds, found 'abc'"),
        ("0,input\n5,inptu\n", "t.csv:2: unknown event 'inptu' (did you mean \"input\"?)"),
        ("10,input\n# note\n5,input\n", "t.csv:3: time goes backwards (5 after 10)"),
        ("0;input\n", "t.csv:1: expected SECONDS,EVENT, found '0;input'"),
        ("nan,input\n", "t.csv:1: expected a finite time in seconds, found 'nan'"),
    ],
)
def test_trace_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_trace(text.splitlines(), "t.csv")
    assert info.value.message == message
    assert info.value.exit_code == 2


def test_simulate_cli_reports_trace_errors_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ergod.cli import main

    monkeypatch.setenv("ERGOD_SYSTEM_DIR", str(tmp_path / "etc"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    trace = tmp_path / "bad.csv"
    trace.write_bytes(b"0,input\n\xff\xfe,input\n")
    assert main(["simulate", "--trace", str(trace)]) == 2
    err = capsys.readouterr().err
    assert f"{trace}:2: expected UTF-8 text" in err
    assert "Traceback" not in err


def test_simulate_timeline_is_readable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ergod.cli import main

    monkeypatch.setenv("ERGOD_SYSTEM_DIR", str(tmp_path / "etc"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    trace = Path(__file__).parent / "data" / "vectors" / "01-merge-then-walk" / "trace.csv"
    assert main(["simulate", "--trace", str(trace)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "0:00:00  sitting starts"
    assert any(line.startswith("0:20:00  stretch prompt 1") for line in lines)
    assert "0:33:00  movement taken (0s after the first prompt)" in lines
    assert lines[-1] == "2 bouts, longest 30m; 2 breaks due, 2 shown, 1 taken"
