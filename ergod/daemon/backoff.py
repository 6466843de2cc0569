"""When to try a broken part again: waits that double from `first` up to `longest`.

Used by the activity link (a source that failed, or none found at start) and
the session link (a lock/suspend source whose bus went away). The attempts
are engine wake-ups like any other; nothing polls between them. Pure: moments
are the engine's clock readings, passed in.
"""

from __future__ import annotations

from collections.abc import Mapping


class Backoff:
    """The next attempt's moment, or None when nothing needs trying."""

    def __init__(self, first: float, longest: float) -> None:
        if first <= 0 or longest < first:
            raise ValueError("a backoff needs 0 < first <= longest")
        self._first = first
        self._longest = longest
        self._wait = first
        self.due: float | None = None

    def arm(self, now: float) -> None:
        """Something broke at `now`: first attempt one `first` wait later."""
        self._wait = self._first
        self.due = now + self._wait

    def failed(self, now: float) -> None:
        """The attempt at `now` failed: the next one waits twice as long."""
        self._wait = min(self._wait * 2, self._longest)
        self.due = now + self._wait

    def done(self) -> None:
        """It works again: no more attempts."""
        self._wait = self._first
        self.due = None

    def ready(self, now: float) -> bool:
        return self.due is not None and now >= self.due


def first_wait(environ: Mapping[str, str], default: float) -> float:
    """`default`, or a test's `ERGOD_REPROBE_SECONDS` (at least 0.1 s)."""
    try:
        return max(0.1, float(environ.get("ERGOD_REPROBE_SECONDS", "") or default))
    except ValueError:
        return default
