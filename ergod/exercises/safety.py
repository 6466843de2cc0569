"""What ergod says about safety: the line on every card and the red flags in two tiers.

`SAFETY` ends every card. `URGENT` and `CLINICIAN` are the two tiers of
red flags (health.md, corrections of 2026-11-27): signs that need urgent care
now (upper-back pain can come from the heart or lungs), and signs that need a
doctor or physiotherapist rather than a reminder app. `safety_text()` is what
`ergod exercises --safety` prints; `POINTER` is the one line the first prompt
after install and the weekly notice carry; `hurt_notice()` is what "This
hurts" shows. `DISCLAIMER` and `RED_FLAGS` (both tiers in one paragraph) are
what `ergod exercises` and the weekly summary print. Pure text.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

SAFETY = "Move gently; stop on sharp pain, tingling or dizziness."

DISCLAIMER = "ergod is a reminder tool, not a medical device; nothing it shows is medical advice."

POINTER = "Safety first: ergod exercises --safety"

URGENT_HEADING = "Get urgent care now (emergency number or urgent care) for:"
URGENT = (
    "chest pain or pressure, a band of pain around the chest or pain worse when you breathe "
    "in, breathlessness or sweating, or pain spreading to the jaw or an arm (upper-back "
    "pain can come from the heart or lungs)",
    "new loss of bladder or bowel control",
    "new weakness or numbness in the legs",
    "pain after a fall or an accident",
)

CLINICIAN_HEADING = "See a doctor or physiotherapist, rather than relying on reminders, for:"
CLINICIAN = (
    "severe pain, or pain that is getting worse",
    "muscle spasms",
    "pain that has not eased after a week or two, or keeps you from everyday activities",
    "numbness, tingling or pain shooting down an arm",
    "fever, chills or weight loss you can't explain, with back pain",
)

RED_FLAGS = (
    "Get urgent care now for chest pain or pressure, pain that gets worse when you breathe "
    "in, breathlessness, sweating, pain spreading to the jaw or an arm, new trouble "
    "controlling your bladder or bowels, new weakness or numbness in your legs, or pain "
    "after a fall or accident. See a doctor or "
    "physiotherapist, rather than relying on reminders, if pain is severe or getting "
    "worse, comes with muscle spasms, has not eased after a week or two, keeps you from "
    "everyday activities, or comes with numbness, tingling or pain shooting down an arm, "
    "fever, chills or weight loss you can't explain. Details: ergod exercises --safety"
)

_WIDTH = 78


def safety_text() -> str:
    """The two tiers as `ergod exercises --safety` prints them."""
    lines = [URGENT_HEADING]
    lines += _bullets(URGENT)
    lines += ["", CLINICIAN_HEADING]
    lines += _bullets(CLINICIAN)
    lines += ["", "Never push through pain to finish an exercise.", "", _wrap(DISCLAIMER)]
    return "\n".join(lines)


def hurt_notice(names: Sequence[str]) -> tuple[str, str]:
    """(title, body) after "This hurts": what was switched off, and the two tiers, short.

    The body stays within a notification's 250 characters: a long list of
    names gives way to how many exercises were switched off.
    """
    tiers = (
        "Urgent care now: chest pain, breathlessness, pain into jaw or arm, new bladder "
        "or bowel trouble, new leg weakness, after a fall.\n"
        "Pain lasting, spreading or severe: see a clinician.\n"
        "More: ergod exercises --safety"
    )
    stopped = ", ".join(names) if names else "that exercise"
    if len(stopped) + len(tiers) + 22 > 250:
        stopped = f"those {len(names)} exercises"
    return "Stopped: that exercise hurt", f"{stopped}: no longer offered.\n{tiers}"


def _bullets(items: Sequence[str]) -> list[str]:
    return [
        textwrap.fill(item, _WIDTH, initial_indent="  * ", subsequent_indent="    ")
        for item in items
    ]


def _wrap(text: str) -> str:
    return textwrap.fill(text, _WIDTH)
