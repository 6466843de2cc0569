"""The console notifier: one line on stderr per prompt, the last resort that always works.

Used when no desktop notifier can run (a bare terminal, a broken session bus) and
as the end of every fallback chain, so a prompt is never lost silently. It rings
the terminal bell when its stream is a terminal. It has no buttons: the user
snoozes or skips with the `ergod` command instead.
"""

from __future__ import annotations

import sys
from typing import TextIO

from ergod.notify.base import ActionCallback, Delivery, Message

NAME = "console"


def format_line(message: Message) -> str:
    """`ergod: <title>: <body lines joined by " / ">`, one line, no trailing newline."""
    lines = [line.strip() for line in message.body.splitlines() if line.strip()]
    text = " / ".join(lines)
    return f"ergod: {message.title}: {text}" if text else f"ergod: {message.title}"


class ConsoleNotifier:
    """Writes prompts to a text stream (stderr unless given another)."""

    name = NAME

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @property
    def supports_actions(self) -> bool:
        return False

    def show(self, message: Message) -> Delivery:
        stream = self._stream if self._stream is not None else sys.stderr
        if stream is None:  # started with stderr closed: Python has none
            return Delivery(False, NAME, "cannot write to stderr: it is closed")
        try:
            bell = "\a" if stream.isatty() else ""
            stream.write(format_line(message) + bell + "\n")
            stream.flush()
        except (OSError, ValueError) as exc:
            # A closed, full or broken stderr (daemon detached badly): say so, do not raise.
            return Delivery(False, NAME, f"cannot write to stderr: {exc}")
        return Delivery(True, NAME, "stderr")

    def close(self) -> None:
        # A line already written cannot be withdrawn.
        return None

    def on_action(self, callback: ActionCallback) -> None:
        return None

    def stop(self) -> None:
        return None
