"""Malformed traces for `ergod simulate --trace`: exit 2, the file and the first bad line.

Hypothesis writes a valid trace (events, comments with any text, blank lines,
CRLF endings) and spoils one line: no comma, too many fields, a time that is not
a finite number, an unknown event, a time going backwards, bytes that are not
UTF-8, a line of up to 300 kB. The test computes that line's number as an editor
shows it (counting newlines) and expects exactly one stderr line
`ergod: FILE:LINE: ...` of a few hundred characters at most, exit 2, no
traceback, nothing simulated on stdout. Valid traces must simulate (exit 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fuzz_config import in_process, installed, private_layers

from ergod.core.model import EventKind
from ergod.replay.trace import format_trace, parse_trace

__all__ = ["private_layers"]  # the fixture, shared with test_fuzz_config.py
EVENTS = [e.value for e in EventKind]


@dataclass(frozen=True)
class Trace:
    data: bytes
    bad_line: int | None  # 1-based, counting b"\n"; None: the trace is valid
    what: str


# Comments may hold any text but a newline: form feeds, U+2028 and other characters
# Python's str.splitlines() also breaks on must not shift the line numbers.
comment_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\n"), max_size=30
)


@st.composite
def valid_lines(draw: st.DrawFn) -> list[str]:
    lines: list[str] = []
    t = 0.0
    for _ in range(draw(st.integers(0, 25))):
        shape = draw(st.sampled_from(["event", "event", "event", "comment", "blank", "tail"]))
        if shape == "comment":
            lines.append("#" + draw(comment_text))
        elif shape == "blank":
            lines.append(draw(st.sampled_from(["", "   ", "\t"])))
        else:
            t += draw(st.sampled_from([0.0, 0.5, 1.0, 7.0, 60.0, 3600.0]))
            event = draw(st.sampled_from(EVENTS))
            if draw(st.booleans()):
                event = event.upper()
            line = f"{t!r},{event}"
            if shape == "tail":
                line = f" {t!r} , {event} # " + draw(comment_text)
            lines.append(line)
    return lines


def _last_time(lines: list[str]) -> float | None:
    times = [
        float(line.split("#")[0].split(",")[0]) for line in lines if line.split("#")[0].strip()
    ]
    return times[-1] if times else None


@st.composite
def spoiled_lines(draw: st.DrawFn, before: float | None) -> tuple[str | bytes, str]:
    kinds = ["no comma", "fields", "time", "inf", "event", "utf8", "long"]
    if before is not None and before > 0:
        kinds.append("backwards")
    kind = draw(st.sampled_from(kinds))
    event = draw(st.sampled_from(EVENTS))
    t = (before or 0.0) + 1
    if kind == "no comma":
        return f"{t!r} {event}", kind
    if kind == "fields":
        return f"{t!r},{event},{draw(st.sampled_from(['', 'x', '1']))}", kind
    if kind == "time":
        word = draw(st.sampled_from(["", "soon", "1h", "12:00", "1,5", "0x10", "--1"]))
        return f"{word},{event}", kind
    if kind == "inf":
        return f"{draw(st.sampled_from(['inf', '-inf', 'nan', 'Infinity', '1e999']))},{event}", kind
    if kind == "event":
        name = draw(st.sampled_from(["typing", "inputs", "lockk", "", "resume", "\u00e9vent"]))
        return f"{t!r},{name}", kind
    if kind == "long":
        filler = draw(st.sampled_from(["x", "9", " ", "\u00e9"])) * draw(
            st.integers(1_000, 300_000)
        )
        return draw(st.sampled_from([f"{t!r},{filler}", f"{filler},{event}"])), kind
    if kind == "backwards":
        assert before is not None
        return f"{before - draw(st.sampled_from([0.001, 1.0, before]))!r},{event}", kind
    junk = draw(st.binary(min_size=1, max_size=8).filter(_not_utf8))
    return f"{t!r},".encode() + junk, kind


def _not_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return b"\n" not in data
    return False


@st.composite
def malformed_traces(draw: st.DrawFn) -> Trace:
    head = draw(valid_lines())
    bad, what = draw(spoiled_lines(_last_time(head)))
    tail = draw(valid_lines())  # later lines, valid or not, never reported first
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    parts = [line.encode() for line in head] + [bad if isinstance(bad, bytes) else bad.encode()]
    parts += [line.encode() for line in tail]
    data = ending.encode().join(parts) + (ending.encode() if draw(st.booleans()) else b"")
    return Trace(data, len(head) + 1, what)


@st.composite
def valid_traces(draw: st.DrawFn) -> Trace:
    lines = draw(valid_lines())
    return Trace("\n".join(lines).encode(), None, "valid")


def simulate_in_process(path: Path) -> tuple[int, str, str]:
    return in_process("simulate", "--trace", str(path), "--json")


def assert_names_the_line(trace: Trace, path: Path, code: int, out: str, err: str) -> None:
    assert "Traceback" not in err, err
    assert code == 2, (trace.what, code, err)
    assert out == "", trace.what
    assert err.startswith(f"ergod: {path}:{trace.bad_line}: "), (trace.what, err)
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert len(err) < len(str(path)) + 300, "a long line is echoed whole"


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@settings(max_examples=300, deadline=None)
@given(trace=malformed_traces())
def test_the_first_bad_line_is_named(private_layers: Path, trace: Trace) -> None:
    path = private_layers / "bad.trace"
    path.write_bytes(trace.data)
    code, out, err = simulate_in_process(path)
    assert_names_the_line(trace, path, code, out, err)


@settings(max_examples=100, deadline=None)
@given(trace=valid_traces())
def test_a_valid_trace_simulates(private_layers: Path, trace: Trace) -> None:
    path = private_layers / "good.trace"
    path.write_bytes(trace.data)
    code, out, err = simulate_in_process(path)
    assert (code, err) == (0, ""), trace.data
    assert out.startswith("{")


@pytest.mark.e2e
@settings(max_examples=10, deadline=None)
@given(trace=malformed_traces())
def test_the_installed_ergod_names_it_too(private_layers: Path, trace: Trace) -> None:
    path = private_layers / "bad-installed.trace"
    path.write_bytes(trace.data)
    done = installed("simulate", "--trace", str(path))
    assert_names_the_line(trace, path, done.returncode, done.stdout, done.stderr)


@pytest.mark.parametrize("breaker", ["\r", "\x0c", "\x1c", "\x85", "\u2028"])
def test_line_numbers_count_newlines_only(private_layers: Path, breaker: str) -> None:
    # Before: str.splitlines() broke the comment in two and refused its second half.
    path = private_layers / "comment.trace"
    path.write_text(f"0,input\n# a{breaker}b\nsoon,input\n", encoding="utf-8")
    code, _, err = simulate_in_process(path)
    assert (code, err) == (2, f"ergod: {path}:3: expected a time in seconds, found 'soon'\n")


@given(
    st.lists(
        st.tuples(
            st.floats(0, 1e9, allow_nan=False).map(lambda t: round(t, 3)),
            st.sampled_from(list(EventKind)),
        ),
        max_size=30,
    ).map(sorted)
)
def test_format_trace_reads_back_exactly(pairs: list[tuple[float, EventKind]]) -> None:
    # Before: `:g` kept six digits, so 30 days of workday() inputs came back in 10 s steps.
    text = format_trace(pairs)
    assert [(e.t, e.kind) for e in parse_trace(text.split("\n"))] == pairs
