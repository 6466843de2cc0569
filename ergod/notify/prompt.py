"""The words of a break prompt: from a due break and its exercise card to a `Message`.

`prompt_message` is the one place that decides what a prompt says. The exercise
card's text comes from `ergod.exercises.library.render_card`; this adds the headline, the
time sat for a movement break ("Sitting for 34 min"), and the buttons.
"""

from __future__ import annotations

from ergod.i18n import N_, _
from ergod.notify.base import SKIP, SNOOZE, Action, Message, Urgency

TITLES = {
    "movement": N_("Time to stand up and move"),
    "stretch": N_("Stretch break"),
}


def sitting_text(seconds: float) -> str:
    """`Sitting for 34 min` / `Sitting for 1 h 5 min`; whole minutes, rounded down."""
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return _("Sitting for {minutes} min").format(minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if minutes:
        return _("Sitting for {hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return _("Sitting for {hours} h").format(hours=hours)


def prompt_actions(snooze_minutes: int) -> tuple[Action, ...]:
    """The buttons: "Snooze N min" (when snoozing is possible) and "Skip"."""
    snooze: tuple[Action, ...] = ()
    if snooze_minutes > 0:
        # Translators: a button on the prompt; keep it short.
        label = _("Snooze {minutes} min").format(minutes=snooze_minutes)
        snooze = (Action(SNOOZE, label),)
    # Translators: a button on the prompt; keep it short.
    return (*snooze, Action(SKIP, _("Skip")))


def prompt_message(
    kind: str,
    title_name: str,
    steps_text: str,
    sitting_seconds: float | None,
    snooze_minutes: int,
    timeout: float,
    actions: bool,
) -> Message:
    """The prompt for a break of `kind` ("movement" or "stretch").

    The title is the kind's headline; the body starts, for a movement break with
    a known bout, with how long the user has sat, then the exercise's name and
    steps. `actions` is whether the notifier can show buttons; without them the
    prompt carries none (the user answers with `ergod snooze` / `ergod skip`).
    ValueError for an unknown kind.
    """
    if kind not in TITLES:
        raise ValueError(f"unknown break kind {kind!r}; expected one of {', '.join(TITLES)}")
    lines: list[str] = []
    if kind == "movement" and sitting_seconds is not None:
        lines.append(sitting_text(sitting_seconds))
    lines += [text for text in (title_name.strip(), steps_text.strip()) if text]
    return Message(
        title=_(TITLES[kind]),
        body="\n".join(lines),
        timeout=timeout,
        actions=prompt_actions(snooze_minutes) if actions else (),
        urgency=Urgency.NORMAL,
    )
