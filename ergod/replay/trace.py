"""Activity traces: the `SECONDS,EVENT` text format `ergod simulate` replays.

One event per line, oldest first; `#` starts a comment and blank lines are
skipped. Events are the spec's section 1 events, as the engine names them
(`input`, `lock`, `unlock`, `sleep`, `wake`, `snooze`, `skip`, `quiet_start`,
`quiet_end`, `attend_start`, `attend_end`). Every error names the
file and line and says what was expected; parsing never raises anything but
`UsageError`. `read_trace` reads with the limits configuration files have
(`ergod.files.read_bounded`): /dev/zero or a FIFO with no writer is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ergod.core.model import EventKind
from ergod.errors import UsageError, did_you_mean

_NAMES = {e.value: e for e in EventKind}


@dataclass(frozen=True)
class TraceEvent:
    t: float
    kind: EventKind
    line: int = 0


def parse_trace(lines: Iterable[str], source: str = "<trace>") -> list[TraceEvent]:
    events: list[TraceEvent] = []
    last = -math.inf
    for number, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip()
        if not text:
            continue
        where = f"{source}:{number}"
        parts = [p.strip() for p in text.split(",")]
        if len(parts) != 2:
            raise UsageError(f"{where}: expected SECONDS,EVENT, found {_shown(text)}")
        stamp, name = parts
        try:
            t = float(stamp)
        except ValueError:
            raise UsageError(
                f"{where}: expected a time in seconds, found {_shown(stamp)}"
            ) from None
        if not math.isfinite(t):
            raise UsageError(f"{where}: expected a finite time in seconds, found {_shown(stamp)}")
        kind = _NAMES.get(name.lower())
        if kind is None:
            hint = did_you_mean(name.lower(), _NAMES)
            tip = f" ({hint})" if hint else f"; known events: {', '.join(_NAMES)}"
            raise UsageError(f"{where}: unknown event {_shown(name)}{tip}")
        if t < last:
            raise UsageError(f"{where}: time goes backwards ({stamp} after {last:g})")
        last = t
        events.append(TraceEvent(t, kind, number))
    return events


def _shown(text: str, limit: int = 60) -> str:
    # A 300 kB line should not come back as a 300 kB error message.
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


MAX_TRACE_BYTES = 64 << 20
"""A trace larger than this is refused, not read (a month of typing is ~15 MiB)."""


def read_trace(path: Path) -> list[TraceEvent]:
    """The events in the trace file at `path`: at most MAX_TRACE_BYTES, and a pipe
    or device must deliver them within the same 2 s a configuration file gets."""
    from ergod.config.document import PIPE_WAIT
    from ergod.files import read_bounded

    try:
        data = read_bounded(path, limit=MAX_TRACE_BYTES, pipe_wait=PIPE_WAIT)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read trace: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(f"{path}:{line}: expected UTF-8 text") from None
    # Lines end at "\n" only, as editors and the UTF-8 error above count them:
    # str.splitlines() also breaks at form feeds, U+2028 or a lone "\r" inside a
    # comment, and every later error would name the wrong line.
    return parse_trace(text.split("\n"), str(path))


def format_trace(events: Iterable[tuple[float, EventKind]]) -> str:
    """The text form of events, as `parse_trace` reads it back (times exactly: `:g`
    kept six digits, so past 11.5 days a trace's inputs collapsed to 10 s steps)."""
    return "".join(f"{_seconds(t)},{kind.value}\n" for t, kind in events)


def _seconds(t: float) -> str:
    # repr() is the shortest text that reads back as the same float; whole seconds
    # stay "120", not "120.0".
    t = float(t)
    return f"{t:.0f}" if t.is_integer() and abs(t) < 1e15 else repr(t)
