"""The session link: lock and suspend signals, and reconnecting when their bus goes away.

`SessionLink` starts every session source this desktop offers (logind on the
system bus, org.freedesktop.ScreenSaver on the session bus) and forwards their
events through the `on_event` given to `start` (the daemon posts them to the
engine thread).

A source whose bus connection is lost reports it through `healthy()`, not by
raising in its thread. The daemon calls `check(now)` after every job: a source
found unhealthy is stopped, logged once, and probed again at waits that double
(`Backoff`) until it works; then the daemon hears its events again. A source
that was not available at start is not looked for again: most desktops offer
only one of them, and looking costs wake-ups while the user is away.

Threading contract: engine thread only; sources call `on_event` from theirs.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ergod.activity.base import SessionEvent, SessionSource, SourceUnavailable
from ergod.daemon.backoff import Backoff

RETRY_FIRST = 10.0
"""The first wait (s) before reconnecting a session source whose bus went away."""
RETRY_LONGEST = 600.0

Probe = Callable[[], SessionSource]
"""Returns an unstarted session source, or raises SourceUnavailable."""
OnEvent = Callable[[SessionEvent, float], None]


@dataclass
class _Slot:
    name: str
    probe: Probe
    source: SessionSource | None
    retry: Backoff


class SessionLink:
    """Every working session source, each reconnected when it breaks."""

    def __init__(
        self,
        probes: Sequence[tuple[str, Probe]],
        log: logging.Logger,
        first_wait: float = RETRY_FIRST,
    ) -> None:
        self._probes = tuple(probes)
        self._on_event: OnEvent = lambda event, t: None
        self._log = log
        self._first_wait = first_wait
        self._slots: list[_Slot] = []

    @property
    def retry_at(self) -> float | None:
        """The earliest moment a lost source is probed again."""
        moments = [slot.retry.due for slot in self._slots if slot.retry.due is not None]
        return min(moments) if moments else None

    def start(self, on_event: OnEvent) -> None:
        """Start every source that works here; `on_event` hears them (their threads)."""
        self._on_event = on_event
        for name, probe in self._probes:
            try:
                source = self._open(probe)
            except SourceUnavailable as exc:
                self._log.info("lock/suspend signals: %s", exc)
                continue
            except Exception as exc:  # a bus quirk must not stop the daemon
                self._log.warning("lock/suspend signals unavailable: %s", exc)
                continue
            retry = Backoff(self._first_wait, max(self._first_wait, RETRY_LONGEST))
            self._slots.append(_Slot(name, probe, source, retry))

    def stop(self) -> None:
        for slot in self._slots:
            if slot.source is not None:
                with contextlib.suppress(Exception):
                    slot.source.stop()
                slot.source = None

    def check(self, now: float) -> None:
        """Notice lost sources; reconnect those whose retry is due."""
        for slot in self._slots:
            if slot.source is not None and not slot.source.healthy():
                self._log.warning(
                    "lock/suspend signals from %s lost (its bus went away); trying again",
                    slot.name,
                )
                with contextlib.suppress(Exception):
                    slot.source.stop()
                slot.source = None
                slot.retry.arm(now)
            elif slot.source is None and slot.retry.ready(now):
                self._reconnect(slot, now)

    def _reconnect(self, slot: _Slot, now: float) -> None:
        try:
            slot.source = self._open(slot.probe)
        except Exception as exc:  # SourceUnavailable, or a bus quirk: try later
            self._log.debug("lock/suspend signals from %s still lost: %s", slot.name, exc)
            slot.retry.failed(now)
            return
        slot.retry.done()
        self._log.info("lock/suspend signals from %s are back", slot.name)

    def _open(self, probe: Probe) -> SessionSource:
        source = probe()
        source.start(self._on_event)
        return source
