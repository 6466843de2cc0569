"""The console notifier: one line on stderr per prompt, the last resort that always works.

Used when no desktop notifier can run (a bare terminal, a broken session bus) and
as the end of every fallback chain, so a prompt is never lost silently. It rings
the terminal bell when its stream is a terminal. It has no buttons: the user
snoozes or skips with the `ergod` command instead.

A stream with a file descriptor (stderr) is written with one `write(2)` of at
most `PIPE_BUF` bytes once `select` says it can take it, so a pipe nobody reads
costs at most `SHOW_TIMEOUT`, never a hung daemon.

When its stream is the systemd journal (`journal_stream`: `$JOURNAL_STREAM`
names the stream's device and inode), nobody reads the line as a prompt and
the journal keeps it, so only the title is written ("ergod: Stretch break"):
never how long the user sat, the exercise, or weekly figures (docs/privacy.md).
"""

from __future__ import annotations

import io
import os
import select
import sys
from collections.abc import Mapping
from typing import TextIO

from ergod.notify.base import SHOW_TIMEOUT, ActionCallback, Delivery, Message

_ATOMIC = 4096  # PIPE_BUF on Linux: a write this small to a writable pipe never blocks

NAME = "console"


def format_line(message: Message) -> str:
    """`ergod: <title>: <body lines joined by " / ">`, one line, no trailing newline."""
    lines = [line.strip() for line in message.body.splitlines() if line.strip()]
    text = " / ".join(lines)
    return f"ergod: {message.title}: {text}" if text else f"ergod: {message.title}"


def journal_stream(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether `stream` is the systemd journal, as `$JOURNAL_STREAM` ("dev:inode") says.

    Compared with the stream itself, because the variable is inherited by
    programs started from a service, whose stderr may be a terminal.
    """
    try:
        device, inode = (int(part) for part in environ.get("JOURNAL_STREAM", "").split(":"))
        info = os.fstat(stream.fileno())
    except (ValueError, OSError, AttributeError, io.UnsupportedOperation):
        return False
    return (info.st_dev, info.st_ino) == (device, inode)


class ConsoleNotifier:
    """Writes prompts to a text stream (stderr unless given another).

    `journal`: the stream is the systemd journal; write the title only.
    """

    name = NAME

    def __init__(self, stream: TextIO | None = None, *, journal: bool = False) -> None:
        self._stream = stream
        self._journal = journal

    @property
    def supports_actions(self) -> bool:
        return False

    def show(self, message: Message) -> Delivery:
        stream = self._stream if self._stream is not None else sys.stderr
        if stream is None:  # started with stderr closed: Python has none
            return Delivery(False, NAME, "cannot write to stderr: it is closed")
        try:
            bell = "\a" if stream.isatty() else ""
            line = f"ergod: {message.title}" if self._journal else format_line(message)
            text = line + bell + "\n"
            fd = _fileno(stream)
            if fd is None:
                stream.write(text)
                stream.flush()
            elif not _write_fd(fd, text):
                return Delivery(False, NAME, f"stderr took nothing within {SHOW_TIMEOUT:g} s")
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


def _fileno(stream: TextIO) -> int | None:
    try:
        return stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _write_fd(fd: int, text: str) -> bool:
    """One write of the line (cut to PIPE_BUF) once `fd` takes it; False on timeout."""
    if not select.select([], [fd], [], SHOW_TIMEOUT)[1]:
        return False
    data = text.encode("utf-8", "replace")
    if len(data) > _ATOMIC:
        data = data[: _ATOMIC - 4] + b"...\n"
    os.write(fd, data)
    return True
