"""The notifier contract: what a prompt is, what showing it returns, and who calls what.

A `Message` is a finished prompt (text, timeout, buttons); a `Notifier` shows it on
one mechanism (the freedesktop notification server, plyer, the terminal) and says
in a `Delivery` whether that worked. A notifier never decides whether a prompt
counts as shown: the daemon does, and a failed delivery still counts once the
fallback chain has tried every backend.

Buttons are `Action`s with fixed keys (`snooze`, `skip`, `hurts`: "This hurts"); a
notifier that can show buttons reports the key the user picked through its
`on_action` callback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

SNOOZE = "snooze"
SKIP = "skip"
HURTS = "hurts"
ACTION_KEYS: tuple[str, ...] = (SNOOZE, SKIP, HURTS)

SHOW_TIMEOUT = 2.0
"""The longest `show()` or `close()` may block the engine thread, in seconds."""

STOP_TIMEOUT = 2.0
"""The longest `stop()` may take to join a notifier's threads, in seconds."""

_MARKUP_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def escape_markup(text: str) -> str:
    """`text` safe inside the body markup of the Desktop Notifications spec (and a
    StatusNotifierItem tooltip, which reads the same subset): `&`, `<`, `>` as
    entities. Not `html.escape`: the `html` package loads its table of 2,231
    named entities, about 0.5 MiB the daemon would carry all day for three
    characters."""
    return text.translate(_MARKUP_ESCAPES)


ActionCallback = Callable[[str], None]
"""Receives the key of the button the user picked (`"snooze"`, `"skip"` or `"hurts"`)."""


class Urgency(str, Enum):
    """How insistent a prompt is; values are the freedesktop spec's names."""

    LOW = "low"
    NORMAL = "normal"
    CRITICAL = "critical"


@dataclass(frozen=True)
class Action:
    """A button on a prompt: `key` is what comes back, `label` what the user reads."""

    key: str
    label: str


@dataclass(frozen=True)
class Message:
    """One prompt, ready to show.

    `timeout` is seconds on screen before the prompt withdraws itself; 0 means it
    stays until dismissed. `actions` are offered only by notifiers that can.
    `sound` is "" (none), a sound theme name, or an absolute file path; only
    notifiers that can ask for a sound use it.
    """

    title: str
    body: str
    timeout: float
    actions: tuple[Action, ...] = ()
    urgency: Urgency = Urgency.NORMAL
    sound: str = ""


@dataclass(frozen=True)
class Delivery:
    """What happened to one `show()`: delivered or not, by which backend, and why."""

    ok: bool
    backend: str
    detail: str = ""


class NotifierUnavailable(Exception):
    """This notifier cannot work here; the message says why and what would help."""


class Notifier(Protocol):
    """Shows prompts on one mechanism and reports the buttons the user picks.

    Threading contract:
    * `show(message)` and `close()` are called from the daemon's engine thread, one
      at a time. Each blocks at most `SHOW_TIMEOUT` seconds and never raises for a
      delivery problem: `show` returns `Delivery(ok=False, ...)` instead. A new
      `show` replaces the prompt this notifier showed before, where the mechanism
      allows, rather than stacking a second one.
    * `close()` withdraws the prompt on screen, if any (the break resolved).
    * `on_action(callback)` sets the one callback for button presses; it is called
      from a thread of the notifier with the action's key, never from inside
      `show`. A press on a prompt this notifier did not show is ignored.
    * `stop()` is called once, from the daemon's main thread, and joins every
      thread the notifier started within `STOP_TIMEOUT` seconds. Nothing is
      called after it.

    `name` is the backend name as written in `[notify] backend`; `supports_actions`
    says whether the user can answer with buttons, so the caller can word prompts
    accordingly.
    """

    name: str

    @property
    def supports_actions(self) -> bool: ...

    def show(self, message: Message) -> Delivery: ...

    def close(self) -> None: ...

    def on_action(self, callback: ActionCallback) -> None: ...

    def stop(self) -> None: ...
