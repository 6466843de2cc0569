"""Return watches and pynput listeners: the idle-first sources' shared flow.

A listener sees every keyboard and mouse event and pays Python work for each
(on X11 python-xlib parses every XRecord event, ~180 us), so ergod runs one
only where it must:

* `QuerySource`: a platform idle query (X11, the ScreenSaver interface,
  Windows, macOS) plus a one-shot return watch, started when an absence in
  progress has passed the threshold and stopped at its first event. On an X
  display that watch is `xrecord.RecordWatch` (XRecord directly, no pynput:
  see there why); on Windows and macOS it is `ReturnWatch`, pynput's.
* `ListenerSource`: the fallback where no idle query exists, pynput's
  listeners for as long as it runs. Its callbacks store a time (and hand it to
  an armed watch); they never build a queue.

Privacy: every callback takes `*_` and never looks at what pynput passes (key,
button, position); only `clock()` readings leave this module.

Traps handled here, all measured: `import pynput` raises ImportError when no X
display is reachable (imported lazily, reported as SourceUnavailable); with no
RECORD extension or PYNPUT_BACKEND=dummy a listener never becomes ready, so
every wait is bounded; when the X server dies the listener threads die while
`.running` stays True, so liveness is read from `is_alive()`; pynput's xorg
`stop()` leaves its disable request unflushed until the next input event, so
ergod also sends it on a fresh connection, or a stop would wait for the user.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ergod.activity.base import Clock, OneShot, SourceUnavailable, Watch
from ergod.activity.xserver import require_extensions, session_display

READY_TIMEOUT = 5.0
"""Seconds a listener may take to become ready before the source gives up."""

STOP_TIMEOUT = 2.0
"""Seconds `stop()` waits for each listener thread."""

_log = logging.getLogger(__name__)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def require_pynput() -> tuple[Any, Any]:
    """pynput's `keyboard` and `mouse` modules, or SourceUnavailable saying why.

    Imported here, never at module level: pynput picks its backend at import
    and raises ImportError when that backend cannot connect (no X display).
    """
    try:
        from pynput import keyboard, mouse
    except ImportError as exc:
        raise SourceUnavailable(f"pynput cannot load: {_first_line(exc)}") from exc
    backend = mouse.Listener.__module__.rsplit("._", 1)[-1]
    if backend not in ("xorg", "win32", "darwin"):
        # The dummy backend never delivers an event, and uinput needs root.
        chosen = os.environ.get("PYNPUT_BACKEND", backend)
        raise SourceUnavailable(f"pynput backend {chosen!r} cannot see this session's input")
    return keyboard, mouse


def require_return_watch(environ: Mapping[str, str]) -> str | None:
    """The X display a return watch reads here (None: pynput's, on Windows and
    macOS); SourceUnavailable unless a watch can see this session's input.

    Off Windows and macOS that takes an X session (`xserver.session_display`)
    whose server has RECORD, which `xrecord.RecordWatch` reads.
    """
    if sys.platform in ("win32", "darwin"):
        require_pynput()
        return None
    display = session_display(environ)
    require_extensions(display, ("RECORD",))
    return display


def _is_xorg(listener: Any) -> bool:
    return type(listener).__module__.endswith("._xorg")


def _instrument(listener: Any) -> threading.Event:
    """Prepare `listener` before its start; the Event is set once it truly listens.

    pynput's xorg listener marks itself ready *before* it enables its XRecord
    context: an event in between is lost, and a disable sent then is ignored,
    leaving the thread blocked until the next input. The server's first reply
    to the enable (StartOfData) reaches the handler: that is the real start.
    """
    listening = threading.Event()
    run = listener.run

    def run_quietly() -> None:
        # When the X server dies, pynput's thread ends in ConnectionClosedError
        # and Python prints its traceback; a daemon should say it in one line.
        try:
            run()
        except Exception as exc:
            _log.info("an input listener ended: %s", type(exc).__name__)

    listener.run = run_quietly
    if _is_xorg(listener):
        handler = listener._handler

        def handler_noting_start(events: Any) -> None:
            listening.set()
            handler(events)

        listener._handler = handler_noting_start
    return listening


def _wait_listening(listener: Any, listening: threading.Event, deadline: float) -> bool:
    # pynput's wait() has no timeout and never returns when the backend cannot
    # start, so wait in slices and watch the thread too.
    condition = listener._condition
    while True:
        with condition:
            ready = condition.wait_for(lambda: listener._ready, timeout=0.05)
        if ready and (not _is_xorg(listener) or listening.wait(0.05)):
            return True
        if not listener.is_alive() or time.monotonic() >= deadline:
            return False


def _stops_itself(listener: Any) -> bool:
    """Whether a callback of `listener` returning False is how it should stop.

    Not on xorg: there pynput's own stop runs, and pynput 1.7 (Debian 12's)
    syncs the recording connection from the thread that reads it, so the
    thread blocks for good; `_halt` stops an xorg listener from its own
    thread as from any other."""
    return not _is_xorg(listener)


def _halt(listener: Any) -> None:
    """Stop one listener without blocking; safe to call twice, from any thread.

    A non-xorg listener stops itself by returning False from its callback, so
    that listener, when this is its thread, is left alone.
    """
    if not listener.is_alive():
        return
    if threading.current_thread() is listener and _stops_itself(listener):
        return
    if not getattr(listener, "_ready", False):
        # stop() would call wait(), which never returns for a listener that
        # never got ready; its daemon thread is abandoned instead.
        return
    if not _is_xorg(listener):  # win32 and darwin: pynput's own stop() is safe
        try:
            listener.stop()
        except Exception as exc:
            _log.debug("listener stop failed: %s", type(exc).__name__)
        return
    # xorg: pynput's stop() writes to the display its thread is reading, with
    # no lock (under an input flood that can wedge the thread), and leaves the
    # request unflushed until the next event. Mark it stopped (its handler
    # checks this at the next event) and disable the context on a connection
    # of our own, synced: closed right after a bare flush, the server
    # sometimes dropped the request.
    listener._running = False
    try:
        import Xlib.display

        display = Xlib.display.Display()
        try:
            display.record_disable_context(listener._context)
            display.sync()
        finally:
            display.close()
    except Exception as exc:  # the X server may be gone already
        _log.debug("record disable failed: %s", type(exc).__name__)


def _join(listeners: list[Any], timeout: float = STOP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    for listener in listeners:
        if listener is threading.current_thread() or not listener.is_alive():
            continue
        # Thread.join, not pynput's, which re-raises errors from the thread.
        threading.Thread.join(listener, max(0.0, deadline - time.monotonic()))
        if listener.is_alive():
            _log.warning("an input listener did not stop within %.1f s", timeout)


def start_listeners(on_input: Callable[..., object], ready_timeout: float) -> list[Any]:
    """Started, ready mouse and keyboard listeners calling `on_input(*ignored)`.

    Raises SourceUnavailable (after stopping what it started) if pynput cannot
    load or a listener is not ready within `ready_timeout` seconds.
    """
    keyboard, mouse = require_pynput()
    listeners = [
        mouse.Listener(on_move=on_input, on_click=on_input, on_scroll=on_input),
        keyboard.Listener(on_press=on_input, on_release=on_input),
    ]
    deadline = time.monotonic() + ready_timeout
    listening = [_instrument(listener) for listener in listeners]
    for listener in listeners:
        listener.start()
    if all(_wait_listening(*pair, deadline) for pair in zip(listeners, listening, strict=True)):
        return listeners
    for listener in listeners:
        _halt(listener)
    raise SourceUnavailable(
        f"the pynput input listener did not start within {ready_timeout:g} s "
        "(does the X server have the RECORD extension?)"
    )


class ReturnWatch(OneShot):
    """One-shot: the time of the first keyboard or mouse event after `start()`,
    through pynput's listeners (Windows, macOS; see `OneShot` for the guard)."""

    def __init__(
        self,
        clock: Clock,
        callback: Callable[[float], None],
        ready_timeout: float = READY_TIMEOUT,
    ) -> None:
        super().__init__(callback)
        self._clock = clock
        self._ready_timeout = ready_timeout
        self._listeners: list[Any] = []

    def start(self) -> None:
        """Start listening; raises SourceUnavailable if the listeners cannot start."""
        listeners = start_listeners(self._on_input, self._ready_timeout)
        with self._lock:
            self._listeners = listeners
            done = self._done
        if done:
            # An event fired before every listener was ready to be halted.
            self._halt()

    def threads(self) -> list[threading.Thread]:
        """The listener threads, for joining and for tests."""
        return list(self._listeners)

    def _on_input(self, *_: object) -> bool:
        self.fire(self._clock())
        # False: pynput stops the listener whose callback returns it (not on
        # xorg, where fire() has halted this listener as all the others).
        return not _stops_itself(threading.current_thread())

    def _halt(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            _halt(listener)

    def _join(self) -> None:
        _join(self._listeners)


class QuerySource:
    """An idle-first source: the platform's idle query, and a return watch while away.

    `query()` returns seconds since the last input and raises SourceUnavailable
    when the mechanism is gone. Nothing runs between calls: no thread exists
    unless a watch is armed. The watch reads X display `watch_display` through
    XRecord, or with None (Windows, macOS) is pynput's. Subclasses open and
    close their connection in `start()`/`stop()`.
    """

    def __init__(
        self,
        name: str,
        clock: Clock,
        query: Callable[[], float],
        ready_timeout: float = READY_TIMEOUT,
        watch_display: str | None = None,
    ) -> None:
        self.name = name
        self._clock = clock
        self._query = query
        self._ready_timeout = ready_timeout
        self._watch_display = watch_display
        self._watch: Watch | None = None
        # Arming may come from the daemon's thread or from inside a callback.
        self._watch_lock = threading.Lock()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.cancel_watch()

    def idle_seconds(self) -> float:
        return max(0.0, self._query())

    def watch_return(self, callback: Callable[[float], None]) -> None:
        """Arm the watch; raises SourceUnavailable if its listeners cannot start."""
        self.cancel_watch()
        armed_at = self._clock()
        watch = self._new_watch(callback)
        with self._watch_lock:
            self._watch = watch
        watch.start()
        # Input between arming and the listeners being ready reached no
        # listener; the idle query still saw it.
        last_input = self._clock() - self.idle_seconds()
        if last_input > armed_at:
            watch.fire(last_input)

    def _new_watch(self, callback: Callable[[float], None]) -> Watch:
        if self._watch_display is None:
            return ReturnWatch(self._clock, callback, self._ready_timeout)
        from ergod.activity.xrecord import RecordWatch

        return RecordWatch(self._watch_display, self._clock, callback, self._ready_timeout)

    def cancel_watch(self) -> None:
        with self._watch_lock:
            watch, self._watch = self._watch, None
        if watch is not None:
            watch.cancel()

    def watch_threads(self) -> list[threading.Thread]:
        """Threads of the armed watch (empty when none), for stop checks and tests."""
        watch = self._watch
        return watch.threads() if watch is not None else []


class ListenerSource:
    """The fallback: listeners that run while the source runs, storing a time.

    Until the first input after `start()`, the user counts as present since
    `start()`. `idle_seconds()` raises SourceUnavailable once a listener
    thread has died (the X server went away).
    """

    name = "pynput"

    def __init__(self, clock: Clock, ready_timeout: float = READY_TIMEOUT) -> None:
        self._clock = clock
        self._ready_timeout = ready_timeout
        self._last_input = clock()
        self._watch: Callable[[float], None] | None = None
        self._lock = threading.Lock()
        self._listeners: list[Any] = []

    def start(self) -> None:
        self._last_input = self._clock()
        self._listeners = start_listeners(self._on_input, self._ready_timeout)

    def stop(self) -> None:
        self.cancel_watch()
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            _halt(listener)
        _join(listeners)

    def idle_seconds(self) -> float:
        if not self._listeners:
            raise SourceUnavailable("pynput: not started")
        if not all(listener.is_alive() for listener in self._listeners):
            raise SourceUnavailable("pynput: the input listener stopped (X server gone?)")
        return max(0.0, self._clock() - self._last_input)

    def watch_return(self, callback: Callable[[float], None]) -> None:
        with self._lock:
            self._watch = callback

    def cancel_watch(self) -> None:
        with self._lock:
            self._watch = None

    def threads(self) -> list[threading.Thread]:
        return list(self._listeners)

    def _on_input(self, *_: object) -> None:
        t = self._clock()
        self._last_input = t
        if self._watch is None:  # the common case: one store, no lock
            return
        with self._lock:
            callback, self._watch = self._watch, None
        if callback is not None:
            callback(t)


def probe(clock: Clock, environ: Mapping[str, str]) -> ListenerSource:
    """The fallback source if pynput can see this session's input here."""
    if require_return_watch(environ) is not None:
        require_pynput()  # on X, pynput's xorg backend reads RECORD too
    return ListenerSource(clock)
