"""Log lines for a terminal or for the systemd journal.

Under systemd (`$JOURNAL_STREAM` set) each line starts with its syslog
priority, `<3>` error to `<7>` debug, so `journalctl --user -u ergod` shows
levels; on a terminal, lines read `ergod: warning: ...`. Logs never carry
adherence data or anything about input events beyond that the user is there.

Logging never blocks the daemon: records are formatted where they happen and
handed to one writer thread through a bounded queue. A stderr that is closed,
full (/dev/full, a pipe nobody reads, a stuck journal) or gone loses lines,
never a prompt or a stop: beyond `QUEUE_LINES` waiting lines, new ones are
dropped, and at exit the writer gets `CLOSE_WAIT` seconds to finish.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import queue
import sys
import threading
from collections.abc import Mapping
from typing import TextIO

QUEUE_LINES = 1000
CLOSE_WAIT = 2.0

_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


class _JournalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        priority = _PRIORITY.get(record.levelno, 6)
        text = super().format(record)
        return "\n".join(f"<{priority}>{line}" for line in text.splitlines())


class _TerminalFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"ergod: {record.levelname.lower()}: {text}"
        return f"ergod: {text}"


class ThreadedStreamHandler(logging.Handler):
    """Writes formatted lines to a stream from a thread of its own."""

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__()
        self._stream = stream
        self._lines: queue.Queue[str | None] = queue.Queue(QUEUE_LINES)
        self._thread = threading.Thread(target=self._write, name="ergod-log", daemon=True)
        self._thread.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        with contextlib.suppress(queue.Full):  # the writer is stuck: drop the line
            self._lines.put_nowait(line)

    def _write(self) -> None:
        while True:
            line = self._lines.get()
            if line is None:
                return
            stream = self._stream or sys.stderr
            # Closed, full or gone: the line is lost, the daemon goes on.
            with contextlib.suppress(OSError, ValueError, AttributeError):
                _write_line(stream, line + "\n")

    def close(self) -> None:
        if self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._lines.put(None, timeout=CLOSE_WAIT)
            self._thread.join(CLOSE_WAIT)
        super().close()


def _write_line(stream: TextIO, text: str) -> None:
    """Straight to the file descriptor where there is one: a write stuck on a
    full pipe then holds no lock of the stream's, which Python's exit flushes."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, io.UnsupportedOperation):
        stream.write(text)
        stream.flush()
        return
    data = text.encode("utf-8", "replace")
    while data:
        data = data[os.write(fd, data) :]


def setup(
    environ: Mapping[str, str], level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Logger:
    """Configure and return the `ergod` logger."""
    handler = ThreadedStreamHandler(stream)
    journal = bool(environ.get("JOURNAL_STREAM"))
    handler.setFormatter(_JournalFormatter() if journal else _TerminalFormatter())
    log = logging.getLogger("ergod")
    for old in log.handlers:
        old.close()
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    return log
