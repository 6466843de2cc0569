"""Quiet-time reasons: stated in English where they arise, read in the reader's language.

A probe states why prompts wait in English, with the templates here
(`RUNNING.format(program="obs")`, `in_call(...)`): a reason is also a key
(the engine compares the reasons of one check with the last, the log and
`ergod status --json` carry it as it is, in every locale). `translated(reason)`
reads one back and words it in the active language (`ergod.i18n`) for people:
the status text, the bars, the tray. A reason it does not know (from a newer
daemon, say) is shown as it came.

Light on purpose: the status command and the bars import it; it imports only
`ergod.i18n`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ergod.i18n import N_, _

OUTSIDE_SCHEDULE = N_("outside the schedule")
"""As `ergod.core.quiet.OUTSIDE_SCHEDULE` words it (the core imports nothing of
ours; a test holds the two equal)."""
DND_ON = N_("do not disturb is on")
FULLSCREEN_ON = N_("a window is fullscreen")
"""The reason both full-screen probes give (X11 and Wayland)."""
_FIXED = frozenset({OUTSIDE_SCHEDULE, DND_ON, FULLSCREEN_ON})

RUNNING = N_("{program} is running")
"""A program from `[quiet] processes`; `program` is one word (a process name)."""
AWAKE = N_("keeping the screen awake: {programs}")
"""Screen-saver inhibitors held (`[quiet] inhibitors`); programs joined by ", "."""
IN_CALL = N_("in a call: {devices}")
"""One or two of the device phrases below, joined by "; "."""
MIC_AND_CAMERA = N_("microphone and camera in use by {programs}")
MICROPHONE = N_("microphone in use by {programs}")
CAMERA = N_("camera in use by {programs}")
_DEVICES = (MIC_AND_CAMERA, MICROPHONE, CAMERA)


def in_call(microphone: Iterable[str], camera: Iterable[str]) -> str | None:
    """ "in a call: microphone in use by zoom; camera in use by zoom", or None."""
    parts = []
    mic, cam = sorted(set(microphone)), sorted(set(camera))
    if mic and mic == cam:
        parts.append(MIC_AND_CAMERA.format(programs=", ".join(mic)))
    else:
        if mic:
            parts.append(MICROPHONE.format(programs=", ".join(mic)))
        if cam:
            parts.append(CAMERA.format(programs=", ".join(cam)))
    return IN_CALL.format(devices="; ".join(parts)) if parts else None


def _field(template: str, text: str) -> str | None:
    """The value of the one `{placeholder}` of `template` in `text`, or None."""
    head, _name, tail = template.replace("}", "{").split("{")
    if len(text) > len(head) + len(tail) and text.startswith(head) and text.endswith(tail):
        return text[len(head) : len(text) - len(tail)]
    return None


def translated(reason: str) -> str:
    """`reason` in the active language, where its words are known."""
    if reason in _FIXED:
        return _(reason)
    program = _field(RUNNING, reason)
    if program is not None and " " not in program:
        return _(RUNNING).format(program=program)
    programs = _field(AWAKE, reason)
    if programs is not None:
        return _(AWAKE).format(programs=programs)
    devices = _field(IN_CALL, reason)
    if devices is not None:
        shown = [_device(part) for part in devices.split("; ")]
        if all(part is not None for part in shown):
            return _(IN_CALL).format(devices="; ".join(p for p in shown if p is not None))
    return reason


def _device(part: str) -> str | None:
    for template in _DEVICES:
        value = _field(template, part)
        if value is not None:
            return _(template).format(programs=value)
    return None
