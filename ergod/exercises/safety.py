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

from ergod.i18n import N_, _, ngettext

# Every constant is marked for translation (N_); the functions and the callers
# translate them with _() where they are shown.
SAFETY = N_("Move gently; stop on sharp pain, tingling or dizziness.")

DISCLAIMER = N_(
    "ergod is a reminder tool, not a medical device; nothing it shows is medical advice."
)

POINTER = N_("Safety first: ergod exercises --safety")

URGENT_HEADING = N_("Get urgent care now (emergency number or urgent care) for:")
URGENT = (
    N_(
        "chest pain or pressure, a band of pain around the chest or pain worse when you "
        "breathe in, breathlessness or sweating, or pain spreading to the jaw or an arm "
        "(upper-back pain can come from the heart or lungs)"
    ),
    N_("new loss of bladder or bowel control"),
    N_("new weakness or numbness in the legs"),
    N_("pain after a fall or an accident"),
)

CLINICIAN_HEADING = N_("See a doctor or physiotherapist, rather than relying on reminders, for:")
CLINICIAN = (
    N_("severe pain, or pain that is getting worse"),
    N_("muscle spasms"),
    N_("pain that has not eased after a week or two, or keeps you from everyday activities"),
    N_("numbness, tingling or pain shooting down an arm"),
    N_("fever, chills or weight loss you can't explain, with back pain"),
)

RED_FLAGS = N_(
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
    lines = [_wrap(_(URGENT_HEADING))]
    lines += _bullets(URGENT)
    lines += ["", _wrap(_(CLINICIAN_HEADING))]
    lines += _bullets(CLINICIAN)
    lines += ["", _("Never push through pain to finish an exercise."), "", _wrap(_(DISCLAIMER))]
    return "\n".join(lines)


def hurt_notice(names: Sequence[str]) -> tuple[str, str]:
    """(title, body) after "This hurts": what was switched off, and the two tiers, short.

    The body stays within a notification's 250 characters: a long list of
    names gives way to how many exercises were switched off.
    """
    tiers = "\n".join(
        [
            _(
                "Urgent care now: chest pain, breathlessness, pain into jaw or arm, new "
                "bladder or bowel trouble, new leg weakness, after a fall."
            ),
            _("Pain lasting, spreading or severe: see a clinician."),
            _("More: {command}").format(command="ergod exercises --safety"),
        ]
    )
    stopped = ", ".join(names) if names else _("that exercise")
    offered = _("{names}: no longer offered.")
    if len(offered.format(names=stopped)) + len(tiers) + 1 > 250:
        stopped = ngettext("that {count} exercise", "those {count} exercises", len(names)).format(
            count=len(names)
        )
    title = _("Stopped: that exercise hurt")
    body = f"{offered.format(names=stopped)}\n{tiers}"
    # A long translation gives up the names line (the title says what happened), never a tier.
    return title, body if len(body) <= 250 else tiers


def _bullets(items: Sequence[str]) -> list[str]:
    return [
        textwrap.fill(_(item), _WIDTH, initial_indent="  * ", subsequent_indent="    ")
        for item in items
    ]


def _wrap(text: str) -> str:
    return textwrap.fill(text, _WIDTH)
