"""Log lines for a terminal or for the systemd journal.

Under systemd (`$JOURNAL_STREAM` set) each line starts with its syslog
priority, `<3>` error to `<7>` debug, so `journalctl --user -u ergod` shows
levels; on a terminal, lines read `ergod: warning: ...`. Logs never carry
adherence data or anything about input events beyond that the user is there.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import TextIO

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


def setup(
    environ: Mapping[str, str], level: int = logging.INFO, stream: TextIO | None = None
) -> logging.Logger:
    """Configure and return the `ergod` logger."""
    handler = logging.StreamHandler(stream or sys.stderr)
    journal = bool(environ.get("JOURNAL_STREAM"))
    handler.setFormatter(_JournalFormatter() if journal else _TerminalFormatter())
    log = logging.getLogger("ergod")
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False
    return log
