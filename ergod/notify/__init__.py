"""Desktop notifications: choosing the notifier and falling back when one fails.

`BACKENDS` is the registry, one row per backend: selection, `auto`'s order,
config validation (`[notify] backend` is one of `BACKEND_NAMES`), `ergod
doctor` and the docs' list of values (checked by a test) come from it.
`select_notifier` opens the chain once, at startup, and reports what it chose
and what is missing in one line:

* `auto`: every backend that can work here, in `BACKENDS` order: freedesktop
  (not on macOS or Windows), plyer, console. Console always works, so auto
  never fails.
* a named backend: that one, then console. If the named one cannot work here,
  `ErgodError` (exit 1): an administrator who locked a backend wants to hear it.

`FallbackNotifier` is the chain: a prompt goes to the first backend; a failed
delivery (or a backend that raises, e.g. a console whose stderr is closed) is
logged and the prompt goes to the next. A backend's failure is logged once,
not at every prompt, until it works again. `show` returns the `Delivery` of
the backend that showed the prompt (its detail names the ones that failed), or
a failed `Delivery` when none could. The daemon counts the prompt as shown
either way. The chain's `show` can take the sum of its members' bounds.

This package imports only the standard library at import time; each backend's
libraries load when it is opened.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TextIO

from ergod.errors import ErgodError, UsageError
from ergod.notify.base import (
    ActionCallback,
    Delivery,
    Message,
    Notifier,
    NotifierUnavailable,
)

AUTO = "auto"
CONSOLE = "console"
"""The backend that always works: the last link of every chain."""


@dataclass(frozen=True)
class Where:
    """What a backend is opened with: the session's environment and the platform.

    `stream` is the console backend's stream (stderr when None); `root` is where
    the plyer backend looks for `/app` (tests pass a directory of their own).
    """

    environ: Mapping[str, str]
    sys_platform: str
    stream: TextIO | None
    root: str


def _open_freedesktop(where: Where) -> Notifier:
    if where.sys_platform in ("darwin", "win32", "cygwin"):
        raise NotifierUnavailable("the Desktop Notifications spec is for Linux/BSD desktops")
    from ergod.notify.freedesktop import FreedesktopNotifier

    return FreedesktopNotifier.open(where.environ)


def _open_plyer(where: Where) -> Notifier:
    from ergod.notify.plyer_backend import PlyerNotifier

    return PlyerNotifier.open(where.environ, sys_platform=where.sys_platform, root=where.root)


def _open_console(where: Where) -> Notifier:
    from ergod.notify.console import ConsoleNotifier, journal_stream

    stream = where.stream if where.stream is not None else sys.stderr
    return ConsoleNotifier(where.stream, journal=journal_stream(stream, where.environ))


@dataclass(frozen=True)
class Backend:
    """One notification backend, as a row of `BACKENDS`: its `[notify] backend`
    name and how to open it (NotifierUnavailable with the reason if it cannot work)."""

    name: str
    open: Callable[[Where], Notifier]


# The one registry, in `auto`'s order; console last, since it always works.
BACKENDS: tuple[Backend, ...] = (
    Backend("freedesktop", _open_freedesktop),
    Backend("plyer", _open_plyer),
    Backend(CONSOLE, _open_console),
)

BACKEND_NAMES: tuple[str, ...] = (AUTO, *(backend.name for backend in BACKENDS))
"""Every value `[notify] backend` accepts."""
_EXPECTED = f"expected one of {', '.join(BACKEND_NAMES)}"


class FallbackNotifier:
    """Notifiers tried in order for each prompt; itself a `Notifier`."""

    def __init__(self, notifiers: Sequence[Notifier], log: logging.Logger) -> None:
        if not notifiers:
            raise ValueError("a fallback chain needs at least one notifier")
        self._notifiers = tuple(notifiers)
        self._log = log
        self.name = self._notifiers[0].name
        self._failing: set[int] = set()  # members whose failure is logged already

    @property
    def members(self) -> tuple[Notifier, ...]:
        return self._notifiers

    @property
    def supports_actions(self) -> bool:
        # The first backend shows every prompt while it works; wording follows it.
        return self._notifiers[0].supports_actions

    def show(self, message: Message) -> Delivery:
        failures: list[str] = []
        for index, notifier in enumerate(self._notifiers):
            delivery = self._show_one(notifier, message)
            if delivery.ok:
                if index in self._failing:
                    self._failing.discard(index)
                    self._log.info("notify: %s shows prompts again", notifier.name)
                if failures:
                    detail = f"{delivery.detail}; after {'; '.join(failures)}"
                    return Delivery(True, delivery.backend, detail)
                return delivery
            if index not in self._failing:
                self._failing.add(index)
                self._log.warning(
                    "notify: %s could not show the prompt: %s", notifier.name, delivery.detail
                )
            failures.append(f"{notifier.name} failed: {delivery.detail}")
        return Delivery(False, self._notifiers[-1].name, "; ".join(failures))

    @staticmethod
    def _show_one(notifier: Notifier, message: Message) -> Delivery:
        try:
            return notifier.show(message)
        except Exception as exc:  # the contract says never raise; a broken stream can
            return Delivery(False, notifier.name, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        for notifier in self._notifiers:
            try:
                notifier.close()
            except Exception as exc:
                self._log.debug("notify: %s could not withdraw its prompt: %s", notifier.name, exc)

    def on_action(self, callback: ActionCallback) -> None:
        for notifier in self._notifiers:
            notifier.on_action(callback)

    def stop(self) -> None:
        for notifier in self._notifiers:
            notifier.stop()


@dataclass(frozen=True)
class NotifierChoice:
    """The chain opened at startup and why the other backends are not in it."""

    notifier: FallbackNotifier
    chain: tuple[str, ...]
    rejected: tuple[tuple[str, str], ...]
    message: str


def open_backend(
    backend: str,
    environ: Mapping[str, str],
    *,
    sys_platform: str = sys.platform,
    stream: TextIO | None = None,
    root: str = "/",
) -> Notifier:
    """One backend, opened; `NotifierUnavailable` with the reason if it cannot work."""
    for row in BACKENDS:
        if row.name == backend:
            return row.open(Where(environ, sys_platform, stream, root))
    raise UsageError(f"unknown [notify] backend {backend!r}; {_EXPECTED}")


def select_notifier(
    backend: str,
    environ: Mapping[str, str],
    log: logging.Logger,
    *,
    sys_platform: str = sys.platform,
    stream: TextIO | None = None,
    root: str = "/",
) -> NotifierChoice:
    """Open the chain for `[notify] backend`, log the one-line choice, return it.

    `stream` is the console backend's stream (stderr by default); `root` is where
    the plyer backend looks for `/app` (tests pass a directory of their own).
    """
    if backend not in BACKEND_NAMES:
        raise UsageError(f"unknown [notify] backend {backend!r}; {_EXPECTED}")
    wanted = [row.name for row in BACKENDS] if backend == AUTO else [backend, CONSOLE]
    notifiers: list[Notifier] = []
    rejected: list[tuple[str, str]] = []
    for name in dict.fromkeys(wanted):
        try:
            notifiers.append(
                open_backend(name, environ, sys_platform=sys_platform, stream=stream, root=root)
            )
        except NotifierUnavailable as exc:
            if name == backend:
                for opened in notifiers:
                    opened.stop()
                raise ErgodError(f'[notify] backend = "{backend}" cannot work here: {exc}') from exc
            rejected.append((name, str(exc)))
    chain = FallbackNotifier(notifiers, log)
    message = _startup_line(backend, chain.members, rejected)
    log.info("%s", message)
    return NotifierChoice(chain, tuple(n.name for n in chain.members), tuple(rejected), message)


def _describe(notifier: Notifier) -> str:
    extra = [
        str(value)
        for value in (getattr(notifier, "server", ""), getattr(notifier, "path", ""))
        if value
    ]
    if notifier.supports_actions:
        extra.append("with buttons")
    note = getattr(notifier, "note", "")
    if note and note not in ("macosx", "win"):
        extra.append(str(note))
    return f"{notifier.name} ({', '.join(extra)})" if extra else notifier.name


def _startup_line(
    backend: str, members: Sequence[Notifier], rejected: Sequence[tuple[str, str]]
) -> str:
    first, *rest = members
    line = f"notifications ({backend}): {_describe(first)}"
    if rest:
        line += "; falls back to " + ", then ".join(_describe(n) for n in rest)
    if rejected:
        line += "; unavailable: " + "; ".join(f"{name}: {why}" for name, why in rejected)
    return line
