"""What a panel shows at a glance: the sitting clock as one small value, and its words.

`Glance` is what `ergod status --follow` receives and what the tray icon
shows: a state (Waybar's class), the sitting time in whole minutes, the next
break and how far off it is, the open break, the pause and quiet time, and
how much of the movement interval is used. `glance_at` builds one from the
engine's view; `to_json` / `from_json` are its wire form on the control socket.

Time-derived fields are read at the *reading moment*: the last whole minute
of the sitting time, not the moment asked. So a glance changes only when the
sitting time crosses a minute or something happens (a break falls due, opens
or resolves, a pause, quiet time, the activity source lost), and comparing
two glances says whether a bar has anything new to show. `Reading.next_at`
is when the sitting time next crosses a minute: the daemon wakes then only
while someone watches, and never while nobody sits.

The formatters (`waybar`, `i3blocks`, `text_line`, `tooltip`) turn a glance,
or None for "ergod is not running", into one line, in the active language
(`ergod.i18n`): the words only; the JSON keys, `alt` and `class` stay the
same in every language. Everything here is pure: no clock, no I/O, the
standard library only (and `ergod.i18n`), so `ergod status` stays light.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from ergod.i18n import N_, _
from ergod.reasons import translated

if TYPE_CHECKING:
    from ergod.core.engine import EngineView, KindView
    from ergod.core.rules import Rules

DUE_SOON_MINUTES = 2
"""A break this many whole minutes off (or less) makes the state `due`."""
PAUSED_REASON = "paused"  # as `ergod.core.quiet.PAUSED`; not imported, to stay light
SCHEDULE_ONLY = "schedule-only"
OFF_CLASS = "off"
"""The class of the line shown while no daemon answers (not a `State`)."""


class State(str, Enum):
    """The one word a bar styles by; in order of precedence, highest first."""

    PAUSED = "paused"
    QUIET = "quiet"
    OPEN = "open"
    DUE = "due"
    SCHEDULE_ONLY = SCHEDULE_ONLY
    OK = "ok"


@dataclass(frozen=True)
class Glance:
    """The panel's view of the daemon. Minutes are whole; see the module doc.

    `next_minutes` is 0 for a break that fell due during a short absence
    (it waits for the return); both `next_*` are None when nothing runs or
    nobody sits.
    `paused_until` is the local clock time a timed pause ends ("14:30", or
    "Tue 14:30" when not today); None with `paused` means until resumed.
    """

    state: State
    sitting_minutes: int | None
    next_kind: str | None
    next_minutes: int | None
    open_kind: str | None
    percentage: int
    paused: bool
    paused_until: str | None
    quiet: tuple[str, ...]
    mode: str
    source: str

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "sitting_minutes": self.sitting_minutes,
            "next_kind": self.next_kind,
            "next_minutes": self.next_minutes,
            "open_kind": self.open_kind,
            "percentage": self.percentage,
            "paused": self.paused,
            "paused_until": self.paused_until,
            "quiet": list(self.quiet),
            "mode": self.mode,
            "source": self.source,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Glance:
        """The glance in a decoded reply; ValueError if it is not one."""
        try:
            return cls(
                state=State(data["state"]),
                sitting_minutes=_whole(data["sitting_minutes"]),
                next_kind=_text(data["next_kind"]),
                next_minutes=_whole(data["next_minutes"]),
                open_kind=_text(data["open_kind"]),
                percentage=_whole(data["percentage"]) or 0,
                paused=bool(data["paused"]),
                paused_until=_text(data["paused_until"]),
                quiet=tuple(str(reason) for reason in data["quiet"]),
                mode=str(data["mode"]),
                source=str(data["source"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a glance: {exc}") from None


def _whole(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number, got {value!r}")
    return value


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Reading:
    """A glance and the engine moment the sitting time next crosses a minute."""

    glance: Glance
    next_at: float | None


def glance_at(
    view: EngineView,
    rules: Rules,
    *,
    reasons: Sequence[str],
    paused_until: str | None,
    mode: str,
    source: str,
) -> Reading:
    """The glance at `view.at`. `reasons` are the quiet-time reasons in force
    ("paused" among them while paused); `mode` is the status mode
    (idle-first, listener, schedule-only)."""
    since = view.sitting_since
    if since is None:
        sitting, at, next_at = None, view.at, None
    else:
        sitting = max(0, int((view.at - since) // 60))
        at = since + 60 * sitting
        next_at = at + 60
    kinds = [kv for kv in view.kinds if kv.enabled]
    open_kind = next((kv.kind.value for kv in kinds if kv.open_since is not None), None)
    next_kind, next_minutes = _next_break(kinds, at, sitting is not None)
    paused = PAUSED_REASON in reasons
    quiet = tuple(r for r in reasons if r != PAUSED_REASON)
    if paused:
        state = State.PAUSED
    elif quiet:
        state = State.QUIET
    elif open_kind is not None:
        state = State.OPEN
    elif next_minutes is not None and next_minutes <= DUE_SOON_MINUTES:
        state = State.DUE
    elif mode == SCHEDULE_ONLY:
        state = State.SCHEDULE_ONLY
    else:
        state = State.OK
    glance = Glance(
        state=state,
        sitting_minutes=sitting,
        next_kind=next_kind,
        next_minutes=next_minutes,
        open_kind=open_kind,
        percentage=_percentage(kinds, rules, at, sitting is not None),
        paused=paused,
        paused_until=paused_until if paused else None,
        quiet=quiet,
        mode=mode,
        source=source,
    )
    return Reading(glance, next_at)


def _next_break(kinds: list[KindView], at: float, sitting: bool) -> tuple[str | None, int | None]:
    """The next break to fall due and its whole minutes away (rounded up).

    Nothing while nobody sits: the bout ended, so the absence is a natural
    break, and a break waiting for the return will not be asked for.
    """
    if not sitting:
        return None, None
    waiting = [kv for kv in kinds if kv.waiting_since is not None and kv.open_since is None]
    if waiting:
        return waiting[0].kind.value, 0
    running = [kv for kv in kinds if kv.next_due is not None and kv.open_since is None]
    if not running:
        return None, None
    first = min(running, key=lambda kv: kv.next_due or 0.0)
    assert first.next_due is not None
    return first.kind.value, max(0, math.ceil((first.next_due - at) / 60 - 1e-9))


def _percentage(kinds: list[KindView], rules: Rules, at: float, sitting: bool) -> int:
    """How much of the movement interval is used (the stretch one if movement is off)."""
    if not kinds:
        return 0
    kv = next((k for k in kinds if k.kind.value == "movement"), kinds[0])
    if kv.open_since is not None or (kv.waiting_since is not None and sitting):
        return 100
    if kv.next_due is None:
        return 0
    every = rules.kind(kv.kind).every
    used = every - (kv.next_due - at)
    return min(100, max(0, math.floor(100 * used / every + 1e-9)))


# ---- words -----------------------------------------------------------------

KINDS = {"movement": N_("movement"), "stretch": N_("stretch")}
"""A kind in one word, as a bar shows it ("stretch in 5 min")."""
BREAK_NAMES = {"movement": N_("movement break"), "stretch": N_("stretch break")}
"""A kind's break by name, as a sentence uses it ("stretch break skipped")."""
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
"""Short day names, Monday first: a clock time on another day ("Tue 14:30")."""


def kind_word(kind: str | None) -> str:
    return _(KINDS[kind]) if kind in KINDS else str(kind)


def break_name(kind: str | None) -> str:
    """`stretch break`, `Dehnpause`; an unknown kind as "<kind> break"."""
    if kind in BREAK_NAMES:
        return _(BREAK_NAMES[kind])
    return _("{kind} break").format(kind=kind)


def clock_text(text: str) -> str:
    """`14:30` as is; `Tue 14:30` with the day in the reader's language."""
    day, _space, clock = text.partition(" ")
    return f"{_(day)} {clock}" if clock and day in WEEKDAYS else text


def minutes_text(minutes: int) -> str:
    """`34 min`, `1 h 05 min`: a bar is read at a glance."""
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    hours, rest = divmod(minutes, 60)
    return _("{hours} h {minutes} min").format(hours=hours, minutes=f"{rest:02d}")


def _kind_when(kind: str | None, minutes: int) -> str:
    """`stretch in 5 min`, `stretch now`."""
    if minutes <= 0:
        return _("{kind} now").format(kind=kind_word(kind))
    return _("{kind} in {duration}").format(kind=kind_word(kind), duration=minutes_text(minutes))


def bar_text(glance: Glance | None) -> str:
    """The short text a bar shows."""
    if glance is None:
        return _("ergod off")
    if glance.state is State.PAUSED:
        if glance.paused_until:
            return _("paused until {time}").format(time=clock_text(glance.paused_until))
        return _("paused")
    if glance.state is State.QUIET:
        return _("quiet")
    if glance.state is State.OPEN:
        return break_name(glance.open_kind)
    if glance.state is State.DUE and glance.next_minutes is not None:
        if glance.next_minutes <= 0:
            return _("{name} due").format(name=break_name(glance.next_kind))
        return _kind_when(glance.next_kind, glance.next_minutes)
    if glance.sitting_minutes is None:
        return _("not sitting")
    return _("sitting {duration}").format(duration=minutes_text(glance.sitting_minutes))


def _next_text(glance: Glance) -> str:
    name = break_name(glance.next_kind)
    if glance.next_minutes is None:
        return _("Next: {name}").format(name=name)
    if glance.next_minutes <= 0:
        return _("Next: {name} now").format(name=name)
    return _("Next: {name} in {duration}").format(
        name=name, duration=minutes_text(glance.next_minutes)
    )


def tooltip(glance: Glance | None) -> str:
    """Several short lines: sitting time, next break, pause and quiet, the mode."""
    if glance is None:
        return _("ergod is not running")
    lines = [
        _("Not sitting")
        if glance.sitting_minutes is None
        else _("Sitting for {duration}").format(duration=minutes_text(glance.sitting_minutes))
    ]
    if glance.open_kind is not None:
        lines.append(_("Open: {name}").format(name=break_name(glance.open_kind)))
    if glance.next_kind is not None:
        lines.append(_next_text(glance))
    if glance.paused:
        if glance.paused_until:
            lines.append(_("Paused until {time}").format(time=clock_text(glance.paused_until)))
        else:
            lines.append(_("Paused until you resume"))
    if glance.quiet:
        lines.append(
            _("Quiet: {reasons}").format(reasons=", ".join(translated(r) for r in glance.quiet))
        )
    if glance.mode == SCHEDULE_ONLY:
        lines.append(_("Reminders follow the clock (no activity source)"))
    return "\n".join(lines)


def text_line(glance: Glance | None) -> str:
    """One line for any bar: the bar text, then the next break when all is well."""
    text = bar_text(glance)
    if (
        glance is not None
        and glance.state in (State.OK, State.SCHEDULE_ONLY)
        and glance.next_kind is not None
        and glance.next_minutes is not None
    ):
        text += " \u00b7 " + _kind_when(glance.next_kind, glance.next_minutes)
    return text


def waybar(glance: Glance | None) -> str:
    """Waybar's custom-module JSON: text, alt, tooltip, class, percentage."""
    state = OFF_CLASS if glance is None else glance.state.value
    return json.dumps(
        {
            "text": bar_text(glance),
            "alt": state,
            "tooltip": tooltip(glance),
            "class": state,
            "percentage": 0 if glance is None else glance.percentage,
        },
        ensure_ascii=False,
    )


I3_COLORS = {State.OPEN: "#E06C75", State.DUE: "#E5C07B", State.PAUSED: "#888888"}


def i3blocks(glance: Glance | None) -> str:
    """An i3bar block as i3blocks' `format=json` reads it (one per line)."""
    block: dict[str, object] = {"full_text": text_line(glance)}
    if glance is not None and glance.sitting_minutes is not None:
        # Translators: the sitting minutes where a bar has little room ("34m").
        block["short_text"] = _("{minutes}m").format(minutes=glance.sitting_minutes)
    color = I3_COLORS.get(glance.state) if glance is not None else I3_COLORS[State.PAUSED]
    if color:
        block["color"] = color
    block["urgent"] = glance is not None and glance.state is State.OPEN
    return json.dumps(block, ensure_ascii=False)


FORMATS = {"text": text_line, "waybar": waybar, "i3blocks": i3blocks}
"""`ergod status --format NAME`: the line for a glance (None: not running)."""
