"""The plyer notifier: the cross-platform fallback, wrapped so that its failures are seen.

plyer is what ergod uses on macOS and Windows, and on Linux after the freedesktop
notifier. Read from plyer 2.1's source, its traps and what this wrapper does:

* It picks a platform module on first use and, if that import fails, prints a
  traceback and silently falls back to a facade whose `notify` raises
  `NotImplementedError`. This wrapper imports the platform module itself, once,
  at `open()`, so a missing dependency (pyobjus on macOS) is a reason, not a
  traceback; `NotImplementedError` at `show` is a failed delivery.
* On Linux it takes the Flatpak portal path (a `gdbus` call whose exit status and
  quoting it ignores) whenever a directory `/app` exists, even outside Flatpak.
  Outside Flatpak this wrapper never takes that path; inside Flatpak it reports
  plyer unavailable (the freedesktop notifier works there).
* On Linux with the `dbus` Python module it calls `Notify` through dbus-python
  with no timeout of its own; this wrapper bounds the call and sees its errors.
* On Linux without `dbus` it runs `notify-send` with `subprocess.call`, dropping
  the timeout, urgency and app name and ignoring the exit status. This wrapper
  runs the same command itself, with those options, a time limit and the exit
  status checked; `notify-send` missing from PATH is a failed delivery.
* On Windows plyer shows a balloon from a thread of its own and returns at once:
  a failure there is not visible to anyone. Deliveries say so in their detail.

Every `show` is bounded by `SHOW_TIMEOUT`: plyer calls run on a helper thread and
count as failed when they do not return in time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ergod.notify.base import (
    SHOW_TIMEOUT,
    ActionCallback,
    Delivery,
    Message,
    NotifierUnavailable,
)

NAME = "plyer"
APP_NAME = "ergod"
CATEGORY = "x-ergod.reminder"

# Paths plyer's Linux module may take (see the module doc).
NOTIFY_SEND = "notify-send"
DBUS_PYTHON = "dbus-python"
NATIVE = "native"

PlyerCall = Callable[[Message], None]


def plyer_platform(sys_platform: str) -> str:
    """plyer's name for a `sys.platform` value: linux, macosx, win or unknown."""
    if sys_platform.startswith("linux"):
        return "linux"
    if sys_platform == "darwin":
        return "macosx"
    if sys_platform in ("win32", "cygwin"):
        return "win"
    return "unknown"


def in_flatpak(environ: Mapping[str, str], root: str = "/") -> bool:
    return bool(environ.get("FLATPAK_ID")) or os.path.exists(os.path.join(root, ".flatpak-info"))


def _has_dbus_python() -> bool:
    import importlib.util

    return importlib.util.find_spec("dbus") is not None


class PlyerNotifier:
    """plyer (or, on Linux, the command plyer would run), with every failure reported."""

    name = NAME

    def __init__(
        self,
        path: str,
        call: PlyerCall | None,
        environ: Mapping[str, str],
        *,
        note: str = "",
        timeout: float = SHOW_TIMEOUT,
    ) -> None:
        self._path = path
        self._call = call
        self._environ = dict(environ)
        self._note = note
        self._timeout = timeout
        self._threads: list[threading.Thread] = []

    @classmethod
    def open(
        cls,
        environ: Mapping[str, str],
        *,
        sys_platform: str = sys.platform,
        root: str = "/",
        timeout: float = SHOW_TIMEOUT,
    ) -> PlyerNotifier:
        """Choose plyer's path for this platform, or raise `NotifierUnavailable`.

        `root` is where `/app` and `/.flatpak-info` are looked for (tests use a
        directory of their own).
        """
        platform = plyer_platform(sys_platform)
        if platform != "linux":
            return cls(NATIVE, _native_call(platform), environ, timeout=timeout, note=platform)
        note = ""
        if os.path.isdir(os.path.join(root, "app")):
            if in_flatpak(environ, root):
                raise NotifierUnavailable(
                    "inside Flatpak plyer would use the notification portal through gdbus "
                    "and hide its failures; use the freedesktop backend"
                )
            note = "a directory /app exists outside Flatpak: plyer's portal path avoided"
        if not environ.get("DBUS_SESSION_BUS_ADDRESS"):
            # Both of plyer's Linux paths talk to the session bus.
            raise NotifierUnavailable("no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)")
        if _has_dbus_python():
            return cls(DBUS_PYTHON, _dbus_python_call(), environ, timeout=timeout, note=note)
        if shutil.which(NOTIFY_SEND, path=environ.get("PATH", os.defpath)) is None:
            raise NotifierUnavailable(
                "plyer has no Linux notifier here: no Python dbus module and no notify-send "
                "on PATH (install libnotify-bin)"
            )
        return cls(NOTIFY_SEND, None, environ, timeout=timeout, note=note)

    @property
    def path(self) -> str:
        """Which of plyer's mechanisms this notifier uses: notify-send, dbus-python, native."""
        return self._path

    @property
    def note(self) -> str:
        """A trap this notifier works around here, or the platform; empty if none."""
        return self._note

    @property
    def supports_actions(self) -> bool:
        return False

    def show(self, message: Message) -> Delivery:
        if self._path == NOTIFY_SEND:
            return self._notify_send(message)
        assert self._call is not None
        return self._bounded(self._call, message)

    def close(self) -> None:
        # plyer has no way to withdraw a notification; it expires on its timeout.
        return None

    def on_action(self, callback: ActionCallback) -> None:
        return None

    def stop(self) -> None:
        for thread in self._threads:
            thread.join(SHOW_TIMEOUT)
        self._threads = [t for t in self._threads if t.is_alive()]

    def _notify_send(self, message: Message) -> Delivery:
        exe = shutil.which(NOTIFY_SEND, path=self._environ.get("PATH", os.defpath))
        if exe is None:
            return Delivery(False, NAME, "notify-send is not on PATH (install libnotify-bin)")
        command = [
            exe,
            "--app-name",
            APP_NAME,
            "--urgency",
            message.urgency.value,
            "--expire-time",
            str(max(0, round(message.timeout * 1000))),
            "--category",
            CATEGORY,
            "--",
            message.title,
            message.body,
        ]
        try:
            result = subprocess.run(
                command,
                env=self._environ,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return Delivery(False, NAME, f"notify-send did not finish within {self._timeout:g} s")
        except OSError as exc:
            return Delivery(False, NAME, f"cannot run notify-send: {exc}")
        if result.returncode != 0:
            why = result.stderr.strip().splitlines()
            reason = why[-1] if why else f"exit status {result.returncode}"
            return Delivery(False, NAME, f"notify-send failed: {reason}")
        return Delivery(True, NAME, "notify-send")

    def _bounded(self, call: PlyerCall, message: Message) -> Delivery:
        """Run a plyer call on a helper thread; a hang or an exception is a failure."""
        outcome: list[BaseException | None] = []

        def run() -> None:
            try:
                call(message)
                outcome.append(None)
            except BaseException as exc:  # plyer raises anything, down to NotImplementedError
                outcome.append(exc)

        thread = threading.Thread(target=run, name="ergod-plyer", daemon=True)
        thread.start()
        thread.join(self._timeout)
        if thread.is_alive():
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            return Delivery(False, NAME, f"plyer did not return within {self._timeout:g} s")
        error = outcome[0] if outcome else None
        if isinstance(error, NotImplementedError):
            return Delivery(False, NAME, "plyer has no notification backend on this platform")
        if error is not None:
            return Delivery(False, NAME, f"plyer failed: {type(error).__name__}: {error}")
        detail = f"plyer {self._path}"
        if self._note == "win":
            detail += " (Windows balloon: plyer cannot report whether it appeared)"
        return Delivery(True, NAME, detail)


def _native_call(platform: str) -> PlyerCall:
    """plyer's notifier for macOS or Windows, loaded now so a missing piece is a reason."""
    import importlib

    try:
        module = importlib.import_module(f"plyer.platforms.{platform}.notification")
        impl: Any = module.instance()
    except Exception as exc:  # ImportError for pyobjus, OSError from ctypes, ...
        raise NotifierUnavailable(
            f"plyer cannot notify on {platform}: {type(exc).__name__}: {exc}"
        ) from exc
    return facade_call(impl)


def facade_call(impl: Any) -> PlyerCall:
    """Call a plyer `Notification` object's public `notify` with a message."""

    def call(message: Message) -> None:
        impl.notify(
            title=message.title,
            message=message.body,
            app_name=APP_NAME,
            timeout=max(1, round(message.timeout)) if message.timeout > 0 else 0,
        )

    return call


def _dbus_python_call() -> PlyerCall:
    import importlib

    from plyer.platforms.linux.notification import NotifyDbus

    dbus: Any = importlib.import_module("dbus")
    impl = NotifyDbus()

    def call(message: Message) -> None:
        # `_notify` takes the urgency hint and app name the public facade drops.
        impl._notify(
            title=message.title,
            message=message.body,
            app_name=APP_NAME,
            # plyer multiplies by 1000 and dbus-python wants an int.
            timeout=max(0, round(message.timeout)),
            hints={
                "urgency": dbus.Byte({"low": 0, "normal": 1, "critical": 2}[message.urgency.value]),
                "category": CATEGORY,
                "desktop-entry": APP_NAME,
            },
        )

    return call
