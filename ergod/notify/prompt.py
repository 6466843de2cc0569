"""The words of a break prompt: from a due break and its exercise card to a `Message`.

`prompt_for` is the one place that decides what a prompt says: the kind's
headline as the title; in the body the time sat (movement breaks, "Sitting
for 34 min"), the card (title line, caveat, steps, safety line; see
`ergod.exercises.card`) and, on the first prompt after install, the pointer to
`ergod exercises --safety`; and the buttons. The body always fits
`NOTIFICATION_BODY_MAX` (250) characters and the title `TITLE_MAX` (64), on
every backend. `prompt_message` is the older entry point taking the card as
text (from `render_card`); it keeps the same limits. `weekly_message` is the
weekly notice, with the same pointer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ergod.durations import human_duration
from ergod.i18n import N_, _
from ergod.notify.base import HURTS, SKIP, SNOOZE, Action, Message, Urgency

if TYPE_CHECKING:
    from ergod.exercises.model import Exercise

TITLES = {
    "movement": N_("Time to stand up and move"),
    "stretch": N_("Stretch break"),
}


def sitting_text(seconds: float) -> str:
    """`Sitting for 34 min` / `Sitting for 1 h 5 min` (`human_duration`)."""
    return _("Sitting for {time}").format(time=human_duration(seconds))


def prompt_actions(snooze_minutes: int, *, hurts: bool = False) -> tuple[Action, ...]:
    """The buttons: "Snooze N min" (when snoozing is possible), "Skip", and "This hurts"
    when the prompt shows an exercise."""
    snooze: tuple[Action, ...] = ()
    if snooze_minutes > 0:
        # Translators: a button on the prompt; keep it short.
        label = _("Snooze {time}").format(time=human_duration(snooze_minutes * 60))
        snooze = (Action(SNOOZE, label),)
    # Translators: a button that stops ergod offering an exercise that hurts; keep it short.
    hurt = (Action(HURTS, _("This hurts")),) if hurts else ()
    # Translators: a button on the prompt; keep it short.
    return (*snooze, Action(SKIP, _("Skip")), *hurt)


def _check_kind(kind: str) -> None:
    if kind not in TITLES:
        raise ValueError(f"unknown break kind {kind!r}; expected one of {', '.join(TITLES)}")


def prompt_for(
    kind: str,
    exercise: Exercise | None,
    sitting_seconds: float | None,
    snooze_minutes: int,
    timeout: float,
    actions: bool,
    *,
    first: bool = False,
) -> Message:
    """The prompt for a break of `kind` ("movement" or "stretch") showing `exercise`.

    `first`: the first prompt after install, which carries the safety pointer.
    `actions` is whether the notifier can show buttons; without them the prompt
    carries none (the user answers with `ergod snooze` / `skip` / `hurts`).
    ValueError for an unknown kind.
    """
    from ergod.exercises.card import CardText, card_text, fit_body
    from ergod.exercises.safety import POINTER

    _check_kind(kind)
    head = [sitting_text(sitting_seconds)] if kind == "movement" and sitting_seconds else []
    card = card_text(exercise) if exercise is not None else CardText("", None, (), None)
    body = fit_body(head, card, [_(POINTER)] if first else [])
    return Message(
        title=_(TITLES[kind]),
        body="\n".join(line for line in body.split("\n") if line),
        timeout=timeout,
        actions=prompt_actions(snooze_minutes, hurts=exercise is not None) if actions else (),
        urgency=Urgency.NORMAL,
    )


def hurt_message(title: str, body: str) -> Message:
    """After "This hurts" (`SwitchOff.notice()`): stays until dismissed, no buttons."""
    return Message(title=title, body=body, timeout=0.0, urgency=Urgency.NORMAL)


def weekly_message(title: str, body: str, timeout: float) -> Message:
    """The weekly notice: the summary's headline, where to read more, and the safety
    pointer; the headline is cut (ending in "…") rather than the two last lines."""
    from ergod.exercises.card import NOTIFICATION_BODY_MAX, TITLE_MAX
    from ergod.exercises.safety import POINTER

    more = _("More: {command}").format(command="ergod summary")
    tail = f"\n{more}\n{_(POINTER)}"
    room = NOTIFICATION_BODY_MAX - len(tail)
    head = body if len(body) <= room else body[: room - 1].rstrip() + "…"
    short_title = title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"
    return Message(title=short_title, body=head + tail, timeout=timeout)


def prompt_message(
    kind: str,
    title_name: str,
    steps_text: str,
    sitting_seconds: float | None,
    snooze_minutes: int,
    timeout: float,
    actions: bool,
) -> Message:
    """The prompt from a card already rendered as text (`render_card`'s title and body).

    `render_card` leaves room for the sitting line, so the body stays within
    the limit; the buttons include "This hurts" when there is a card.
    """
    _check_kind(kind)
    lines: list[str] = []
    if kind == "movement" and sitting_seconds is not None:
        lines.append(sitting_text(sitting_seconds))
    lines += [text for text in (title_name.strip(), steps_text.strip()) if text]
    return Message(
        title=_(TITLES[kind]),
        body="\n".join(lines),
        timeout=timeout,
        actions=prompt_actions(snooze_minutes, hurts=bool(title_name.strip())) if actions else (),
        urgency=Urgency.NORMAL,
    )
