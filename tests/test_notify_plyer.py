"""The plyer wrapper: plyer's silent failures made visible, with real plyer and notify-send."""

from __future__ import annotations

import json
import logging
import os
import subprocess
from pathlib import Path

import pytest
from servers import NotificationServer, require_tool

from ergod.errors import EXIT_RUNTIME, ErgodError
from ergod.notify import select_notifier
from ergod.notify.base import Message, NotifierUnavailable
from ergod.notify.plyer_backend import (
    NATIVE,
    NOTIFY_SEND,
    PlyerNotifier,
    facade_call,
    plyer_platform,
)

MESSAGE = Message("Stretch break", "Neck tilt (20 s)\n1. Tilt your head.", timeout=25)


def path_without_notify_send(tmp_path: Path) -> str:
    empty = tmp_path / "bin"
    empty.mkdir()
    return str(empty)


@pytest.mark.dbus
@pytest.mark.x11
def test_notify_send_path_delivers_with_app_name_and_timeout(
    notification_server: NotificationServer,
) -> None:
    require_tool("notify-send")
    notifier = PlyerNotifier.open(os.environ)
    assert notifier.path == NOTIFY_SEND

    delivery = notifier.show(MESSAGE)

    assert delivery.ok, delivery
    seen = notification_server.wait_for()
    assert [(n["appname"], n["summary"]) for n in seen] == [("ergod", "Stretch break")]
    assert "Tilt your head." in seen[0]["body"]
    # plyer itself would pass "-t 0" here; the wrapper passes the message's timeout.
    notification_server.dunstctl("close-all")
    raw = json.loads(notification_server.dunstctl("history"))["data"][0]
    assert raw[0]["timeout"]["data"] == 25_000_000


def test_notify_send_failure_is_a_failed_delivery(tmp_path: Path) -> None:
    require_tool("notify-send")
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS=f"unix:path={tmp_path}/no-bus")
    notifier = PlyerNotifier.open(env)

    delivery = notifier.show(MESSAGE)

    assert not delivery.ok
    assert delivery.backend == "plyer"
    assert "notify-send failed" in delivery.detail


def test_notify_send_missing_from_path(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=path_without_notify_send(tmp_path))
    env.setdefault("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/bus")

    with pytest.raises(NotifierUnavailable, match="notify-send"):
        PlyerNotifier.open(env)
    with pytest.raises(ErgodError) as caught:
        select_notifier("plyer", env, logging.getLogger("test"))
    assert caught.value.exit_code == EXIT_RUNTIME
    assert "notify-send" in caught.value.message


def test_notify_send_removed_after_start_is_a_failed_delivery(tmp_path: Path) -> None:
    require_tool("notify-send")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "notify-send").symlink_to(require_tool("notify-send"))
    env = dict(os.environ, PATH=str(bin_dir), DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent")
    notifier = PlyerNotifier.open(env)
    (bin_dir / "notify-send").unlink()

    delivery = notifier.show(MESSAGE)

    assert not delivery.ok
    assert "not on PATH" in delivery.detail


@pytest.mark.dbus
@pytest.mark.x11
def test_app_directory_outside_flatpak_avoids_the_portal_path(
    notification_server: NotificationServer, tmp_path: Path
) -> None:
    require_tool("notify-send")
    (tmp_path / "app").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "FLATPAK_ID"}

    notifier = PlyerNotifier.open(env, root=str(tmp_path))

    assert notifier.path == NOTIFY_SEND
    assert "/app" in notifier.note
    assert notifier.show(MESSAGE).ok
    assert notification_server.wait_for()[0]["appname"] == "ergod"


def test_inside_flatpak_plyer_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / ".flatpak-info").write_text("[Application]\nname=org.example.Ergod\n")
    env = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent")

    with pytest.raises(NotifierUnavailable, match="Flatpak"):
        PlyerNotifier.open(env, root=str(tmp_path))


def test_plyer_without_a_backend_is_a_failed_delivery() -> None:
    # plyer's own facade: what its proxy falls back to when no platform module loads.
    from plyer.facades import Notification

    notifier = PlyerNotifier(NATIVE, facade_call(Notification()), {})

    delivery = notifier.show(MESSAGE)

    assert not delivery.ok
    assert "no notification backend" in delivery.detail
    notifier.stop()


def test_macos_without_pyobjus_is_unavailable() -> None:
    try:
        import pyobjus  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("pyobjus is installed here")
    with pytest.raises(NotifierUnavailable, match="macosx"):
        PlyerNotifier.open({}, sys_platform="darwin")


def test_plyer_platform_names() -> None:
    assert plyer_platform("linux") == "linux"
    assert plyer_platform("darwin") == "macosx"
    assert plyer_platform("win32") == "win"
    assert plyer_platform("sunos5") == "unknown"


def test_a_hanging_plyer_call_is_bounded_and_fails() -> None:
    import threading

    release = threading.Event()

    def hang(message: Message) -> None:
        release.wait(30)

    notifier = PlyerNotifier(NATIVE, hang, {}, timeout=0.1)
    try:
        delivery = notifier.show(MESSAGE)
        assert not delivery.ok
        assert "did not return" in delivery.detail
    finally:
        release.set()
        notifier.stop()


def dbus_python_path(tmp_path: Path) -> Path:
    """A directory holding only Debian's python3-dbus, for a child process's PYTHONPATH.

    The venv has no `dbus` module (so plyer takes the notify-send path there); the
    dbus-python path is exercised in a child that sees the system's module.
    """
    import sysconfig

    from servers import in_ci

    system = Path("/usr/lib/python3/dist-packages")
    binding = system / f"_dbus_bindings{sysconfig.get_config_var('EXT_SUFFIX')}"
    if not (system / "dbus").is_dir() or not binding.exists():
        message = "python3-dbus for this Python is not installed"
        if in_ci():
            pytest.fail(f"{message}; CI=true so this is a failure, not a skip", pytrace=False)
        pytest.skip(message)
    only = tmp_path / "dbus-python"
    only.mkdir()
    (only / "dbus").symlink_to(system / "dbus")
    (only / binding.name).symlink_to(binding)
    return only


_SHOW_IN_CHILD = """
import json, os
from ergod.notify.base import Message
from ergod.notify.plyer_backend import PlyerNotifier
notifier = PlyerNotifier.open(os.environ)
delivery = notifier.show(Message("Stretch break", "Neck tilt (20 s)", 25.0))
print(json.dumps([notifier.path, delivery.ok, delivery.detail]))
"""


def show_with_dbus_python(tmp_path: Path) -> list[object]:
    import sys

    env = dict(os.environ, PYTHONPATH=str(dbus_python_path(tmp_path)))
    result = subprocess.run(
        [sys.executable, "-c", _SHOW_IN_CHILD],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    answer: list[object] = json.loads(result.stdout)
    return answer


@pytest.mark.dbus
@pytest.mark.x11
def test_dbus_python_path_delivers(notification_server: NotificationServer, tmp_path: Path) -> None:
    path, ok, detail = show_with_dbus_python(tmp_path)

    assert (path, ok) == ("dbus-python", True), detail
    seen = notification_server.wait_for()
    assert [(n["appname"], n["summary"], n["body"]) for n in seen] == [
        ("ergod", "Stretch break", "Neck tilt (20 s)")
    ]


@pytest.mark.dbus
def test_dbus_python_path_failure_is_seen(dbus_session: str, tmp_path: Path) -> None:
    path, ok, detail = show_with_dbus_python(tmp_path)

    assert (path, ok) == ("dbus-python", False)
    assert "DBusException" in str(detail)
