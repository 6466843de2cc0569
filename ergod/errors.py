"""The errors ergod reports to a person, each with its exit code.

Every failure meant for a user is one of these; the CLI prints the message
(no traceback) and exits with the code. Codes across the CLI: 0 success,
1 runtime failure, 2 usage or configuration error, 3 no daemon running.
`did_you_mean` is the one wording of a suggestion for a misspelt name.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`did you mean "x"?` for the closest of `choices` to `word`, or "" if none is close."""
    import difflib  # only when a name was misspelt: every command imports this module

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f'did you mean "{close[0]}"?' if close else ""
