"""The X11 return watch: the first keyboard or mouse event, straight from XRecord.

`RecordWatch(display_name, clock, callback)` is the one-shot watch that X11's
idle-first sources arm while an absence is in progress (`QuerySource` in
`listener.py` pairs it with their idle query). It asks the X server's RECORD
extension for the device events (key, button, motion) of every client, and at
the first one reports `clock()` and stops.

Why not pynput here, which does the same through the same extension: pynput
decodes every event into a key or a button, and to do so builds keysym tables
at import, about 3 MiB the daemon would then hold for the day. This watch never
reads an event: only the reply's category (start of data, data, end of data)
is looked at, never its bytes, so which key or button it was is never known,
let alone kept. pynput stays the watch on Windows and macOS and the fallback
source (`ListenerSource`).

Two connections of its own while armed: one blocks in EnableContext on the
watch thread; the other creates, disables and frees the context, under a
lock, from whichever thread stops the watch (its first event, `cancel()`,
`fire()`), synced, so the disable reaches the server at once and the watch
thread ends without waiting for more input. When the server dies, the watch
thread ends quietly and the source's next idle query reports it.

Contract as pynput's `ReturnWatch` (the guard is `base.OneShot`): `start()`
returns once the server sends data (StartOfData) or raises SourceUnavailable
within `ready_timeout`; `callback(t)` runs at most once; `fire(t)` reports a
return learnt another way through the same guard; `cancel()` disarms and joins
(bounded); `threads()`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from ergod.activity.base import Clock, OneShot, SourceUnavailable
from ergod.activity.xserver import close_quietly, open_display

_log = logging.getLogger(__name__)

_STOP_JOIN = 2.0
# X protocol event codes KeyPress (2) to MotionNotify (6): keys, buttons, motion.
_DEVICE_EVENTS = (2, 6)
_START_OF_DATA, _END_OF_DATA = 4, 5  # RECORD reply categories


def _context_range() -> dict[str, object]:
    """A RECORD range asking for device events only, nothing else."""
    return {
        "core_requests": (0, 0),
        "core_replies": (0, 0),
        "ext_requests": (0, 0, 0, 0),
        "ext_replies": (0, 0, 0, 0),
        "delivered_events": (0, 0),
        "device_events": _DEVICE_EVENTS,
        "errors": (0, 0),
        "client_started": False,
        "client_died": False,
    }


class RecordWatch(OneShot):
    """One-shot: the time of the first device event after `start()`; see the module."""

    def __init__(
        self,
        display_name: str,
        clock: Clock,
        callback: Callable[[float], None],
        ready_timeout: float,
    ) -> None:
        super().__init__(callback)
        self._display_name = display_name
        self._clock = clock
        self._ready_timeout = ready_timeout
        self._control_lock = threading.Lock()  # the control connection, from any thread
        self._settled = threading.Event()  # set at StartOfData, or when the thread ends
        self._listening = False  # the server sends data: set at StartOfData only
        self._control: Any = None
        self._context: int | None = None
        self._thread: threading.Thread | None = None

    def threads(self) -> list[threading.Thread]:
        return [self._thread] if self._thread is not None else []

    def start(self) -> None:
        """Listen; SourceUnavailable when RECORD does not start in time."""
        import Xlib.threaded  # noqa: F401  (thread-safe displays: two threads use them)
        from Xlib.ext import record

        control = open_display(self._display_name)
        recording = None
        try:
            recording = open_display(self._display_name)
            context = control.record_create_context(0, [record.AllClients], [_context_range()])
            control.sync()
        except Exception as exc:
            close_quietly(control)
            if recording is not None:
                close_quietly(recording)
            if isinstance(exc, SourceUnavailable):
                raise
            raise SourceUnavailable(f"x11: RECORD refused ({type(exc).__name__})") from exc
        with self._control_lock:
            self._control, self._context = control, context
        self._thread = threading.Thread(
            target=self._run, args=(recording, context), name="ergod-x11-return", daemon=True
        )
        self._thread.start()
        self._settled.wait(self._ready_timeout)
        if not self._listening:
            self.cancel()
            raise SourceUnavailable(
                f"x11: the RECORD return watch did not start within {self._ready_timeout:g} s"
            )

    def _join(self) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_STOP_JOIN)
            if thread.is_alive():
                _log.warning("the X11 return watch did not stop within %.1f s", _STOP_JOIN)

    def _run(self, recording: Any, context: int) -> None:
        try:
            recording.record_enable_context(context, self._on_reply)
        except Exception as exc:  # the X server went away
            _log.info("the X11 return watch ended: %s", type(exc).__name__)
        finally:
            self._settled.set()  # a start() still waiting stops waiting
            close_quietly(recording)
            self._release()

    def _on_reply(self, reply: Any) -> None:
        # Only the category is read; the event bytes in `reply.data` never are.
        category = reply.category
        if category == _START_OF_DATA:
            self._listening = True
            self._settled.set()
        elif category != _END_OF_DATA:
            self.fire(self._clock())

    def _halt(self) -> None:
        """Ask the server to end the recording; the watch thread then ends."""
        with self._control_lock:
            control, context = self._control, self._context
            if control is None or context is None:
                return
            with contextlib.suppress(Exception):  # the server may be gone already
                control.record_disable_context(context)
                control.sync()

    def _release(self) -> None:
        """Free the context and close the control connection (the watch thread, at its end)."""
        with self._control_lock:
            control, context = self._control, self._context
            self._control = self._context = None
            if control is None:
                return
            with contextlib.suppress(Exception):
                if context is not None:
                    control.record_free_context(context)
                    control.sync()
            close_quietly(control)
