"""The errors ergod reports to a person, each with its exit code.

Every failure meant for a user is one of these; the CLI prints the message
(no traceback) and exits with the code. Codes across the CLI: 0 success,
1 runtime failure, 2 usage or configuration error, 3 no daemon running.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_NO_DAEMON = 3


class ErgodError(Exception):
    """A failure with a message written for the user."""

    exit_code = EXIT_RUNTIME

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(ErgodError):
    """Bad arguments or a bad input file (trace, week, format)."""

    exit_code = EXIT_USAGE


class NoDaemonError(ErgodError):
    """A control command found no running daemon."""

    exit_code = EXIT_NO_DAEMON
