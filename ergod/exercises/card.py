"""A card's words: in a notification (within `NOTIFICATION_BODY_MAX`) and in full.

Contract:
* A notification body is, line by line: the sitting time (movement breaks),
  the card's title line, its caveat ("Careful: ..."), the numbered steps, the
  safety line (`SAFETY`), and on the first prompt after install the pointer
  to `ergod exercises --safety`. The caveat comes right after the title: a
  collapsed banner shows the first line or two, and the caveat is what must be
  read before moving.
* `fit_body(...)` keeps every body within `limit` characters (250 by default:
  Windows' balloon holds 256, and servers cut long bodies): it drops steps from
  the end first (pointing to `ergod exercises show ID` instead), then shortens
  the caveat and the title; the safety line always stays.
* A set (`Exercise.parts`) lists its parts by name as its steps, with its
  parts' caveats each named after its part.
* `render_card` (title line, rest of the body) is the card alone, leaving room
  for the longest sitting line; `format_card` is the full text of `ergod
  exercises show`; `to_json` the card as data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ergod.core.rules import Kind
from ergod.durations import human_duration
from ergod.exercises.model import Exercise
from ergod.exercises.safety import SAFETY
from ergod.i18n import _

NOTIFICATION_BODY_MAX = 250
"""The longest notification body (sitting time, card, safety lines), in characters."""

TITLE_MAX = 64
"""The longest notification title (Windows' balloon title field)."""

SITTING_RESERVE = 32
"""Room `render_card` leaves for the sitting line a movement prompt puts first:
"Sitting for 99 h 59 min" and its newline, in the longest language."""


@dataclass(frozen=True)
class CardText:
    """The parts of a card's notification text, before fitting."""

    title: str
    caveat: str | None
    steps: tuple[str, ...]
    more: str | None  # said after the steps that fit, when some did not
    instead: str | None = None  # said instead of all the steps, when they do not all fit


def card_text(exercise: Exercise) -> CardText:
    time = human_duration(exercise.seconds)
    caveat = _careful(exercise.caveat)
    if exercise.parts:
        standing = all(Kind.MOVEMENT in p.kinds for p in exercise.parts)
        # Translators: the title of a set of exercises done one after the other.
        title = (_("Standing set ({time})") if standing else _("Set ({time})")).format(time=time)
        steps = _numbered([p.name for p in exercise.parts])
        names = [p.name for p in exercise.parts]
        listed = ", ".join([names[0], *(_lower_first(n) for n in names[1:])])
        # Translators: a set's parts in one line, when their steps do not fit.
        instead = _("In turn: {names}.").format(names=listed)
        return CardText(title, caveat, tuple(steps), None, instead)
    title = f"{exercise.name} ({time})"
    steps = _numbered(exercise.steps)
    more = _("(All steps: ergod exercises show {id})").format(id=exercise.id)
    return CardText(title, caveat, tuple(steps), more)


def _careful(caveat: str | None) -> str | None:
    # Translators: before an exercise's caveat, e.g. "Careful: skip it after a neck injury."
    return _("Careful: {caveat}").format(caveat=caveat) if caveat else None


def fit_body(
    head: Sequence[str],
    card: CardText,
    tail: Sequence[str] = (),
    limit: int = NOTIFICATION_BODY_MAX,
) -> str:
    """`head`, the card and SAFETY, then `tail`, one per line, within `limit` characters."""
    steps = list(card.steps)
    title, caveat = card.title, card.caveat

    def body(more: bool) -> str:
        middle = [title, *([caveat] if caveat else []), *steps]
        if more and card.more and len(steps) < len(card.steps):
            middle.append(card.more)
        return "\n".join([*head, *middle, _(SAFETY), *tail])

    if card.instead is not None and len(body(True)) > limit:
        steps = [card.instead]  # a set's parts in one line rather than none of them
    while len(body(True)) > limit and steps:
        steps.pop()
    if len(body(True)) > limit:
        steps = []  # even the pointer does not fit: the card's name must do
    excess = len(body(False)) - limit
    if excess > 0 and caveat:
        caveat = _shorten(caveat, len(caveat) - excess)
        excess = len(body(False)) - limit
    if excess > 0:
        title = _shorten(title, len(title) - excess)
    return body(True) if len(body(True)) <= limit else body(False)


def render_card(exercise: Exercise, limit: int = NOTIFICATION_BODY_MAX) -> tuple[str, str]:
    """(title line, rest of the body) for a notification, leaving room for a sitting line."""
    text = fit_body([], card_text(exercise), limit=limit - SITTING_RESERVE)
    title, _, rest = text.partition("\n")
    return title, rest


def format_card(exercise: Exercise, enabled: bool = True) -> str:
    """The full card `ergod exercises show` prints: caveat first, every step, SAFETY."""
    kinds = _sorted_kinds(exercise.kinds)
    if len(kinds) == 2:
        offered = _("Offered in stretch and movement breaks.")
    elif kinds == [Kind.MOVEMENT]:
        offered = _("Offered in movement breaks.")
    elif kinds:
        offered = _("Offered in stretch breaks.")
    else:
        offered = _("Shown on request only.")
    about = _("Focus: {focus}. Time: about {time}.").format(
        focus=exercise.focus, time=human_duration(exercise.seconds)
    )
    lines = [f"{exercise.name}  [{exercise.id}]"]
    caveat = _careful(exercise.caveat)
    if caveat:
        lines.append(caveat)
    lines.append(f"{about} {offered}")
    if not enabled:
        lines.append(_("Disabled in your configuration."))
    lines.append("")
    if exercise.parts:
        for number, part in enumerate(exercise.parts, start=1):
            lines.append(f"  {number}. {part.name} ({human_duration(part.seconds)})")
            lines += [f"     - {step}" for step in part.steps]
    else:
        lines += [f"  {line}" for line in _numbered(exercise.steps)]
    lines += ["", _(SAFETY)]
    return "\n".join(lines)


def to_json(exercise: Exercise, enabled: bool = True) -> dict[str, object]:
    """The card as plain JSON data; kinds sorted, caveat null when absent."""
    return {
        "id": exercise.id,
        "name": exercise.name,
        "focus": exercise.focus,
        "seconds": exercise.seconds,
        "steps": list(exercise.steps),
        "caveat": exercise.caveat,
        "kinds": [k.value for k in _sorted_kinds(exercise.kinds)],
        "enabled": enabled,
    }


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: max(0, size - 1)].rstrip() + "…"


def _lower_first(text: str | None) -> str:
    text = text or ""
    return text[:1].lower() + text[1:]


def _sorted_kinds(kinds: frozenset[Kind]) -> list[Kind]:
    return sorted(kinds, key=lambda k: k.value)


def _numbered(steps: Sequence[str]) -> list[str]:
    return [f"{n}. {step}" for n, step in enumerate(steps, start=1)]
