"""The freedesktop notifier against a real dunst on a private session bus under Xvfb."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import (
    NotificationServer,
    require_tool,
    running_dbus_session,
    running_dunst,
    stop_process,
)

from ergod.notify import select_notifier
from ergod.notify.base import HURTS, SKIP, SNOOZE, Message, NotifierUnavailable
from ergod.notify.freedesktop import FreedesktopNotifier
from ergod.notify.prompt import prompt_message

pytestmark = [pytest.mark.dbus, pytest.mark.x11]

WAIT = 10.0  # safety net for a broken run, not a speed assertion


def stretch(title: str = "Shoulder circles (30 s)", timeout: float = 30.0) -> Message:
    return prompt_message("stretch", title, "1. Roll your shoulders back.", None, 5, timeout, True)


@pytest.fixture
def notifier(shared_notification_server: NotificationServer) -> Iterator[FreedesktopNotifier]:
    opened = FreedesktopNotifier.open(os.environ)
    yield opened
    opened.close()
    opened.stop()


def raw_history(server: NotificationServer) -> list[dict[str, object]]:
    entries = json.loads(server.dunstctl("history"))["data"][0]
    return [{key: value["data"] for key, value in entry.items()} for entry in entries]


def test_prompt_reaches_server_with_app_name_summary_body_and_timeout(
    notifier: FreedesktopNotifier, shared_notification_server: NotificationServer
) -> None:
    delivery = notifier.show(stretch(timeout=42))

    assert delivery.ok, delivery
    assert delivery.backend == "freedesktop"
    seen = shared_notification_server.wait_for()
    assert [(n["appname"], n["summary"]) for n in seen] == [("ergod", "Stretch break")]
    assert "Shoulder circles (30 s)" in seen[0]["body"]
    assert "Roll your shoulders back." in seen[0]["body"]
    notifier.close()
    closed = shared_notification_server.wait_for(lambda h: all(n["closed"] for n in h))
    mine = [e for e in raw_history(shared_notification_server) if e["id"] == closed[0]["id"]]
    assert mine[0]["timeout"] == 42_000_000  # dunst reports microseconds
    assert mine[0]["category"] == "x-ergod.reminder"


def test_capabilities_are_read_and_buttons_offered(notifier: FreedesktopNotifier) -> None:
    assert notifier.server.startswith("dunst")
    assert "actions" in notifier.capabilities
    assert notifier.supports_actions


def test_second_prompt_replaces_the_first(notification_server: NotificationServer) -> None:
    notifier = FreedesktopNotifier.open(os.environ)
    try:
        first = notifier.show(stretch("First exercise"))
        second = notifier.show(stretch("Second exercise"))
        assert first.ok and second.ok
        seen = notification_server.wait_for(
            lambda h: any("Second exercise" in n["body"] for n in h)
        )
        assert len(seen) == 1, seen
        assert notification_server.count("displayed") == 1
        notifier.close()
        seen = notification_server.wait_for(lambda h: all(n["closed"] for n in h))
        assert len(seen) == 1, seen
        assert "Second exercise" in seen[0]["body"]
        # After close, a new prompt is a new notification, not a replacement.
        assert notifier.show(stretch("Third exercise")).ok
        seen = notification_server.wait_for(lambda h: len(h) == 2)
        assert "Third exercise" in seen[1]["body"]
    finally:
        notifier.stop()


def test_close_withdraws_the_prompt(notification_server: NotificationServer) -> None:
    notifier = FreedesktopNotifier.open(os.environ)
    try:
        assert notifier.show(stretch()).ok
        notification_server.wait_for()
        assert notification_server.count("displayed") == 1
        notifier.close()
        notification_server.wait_for(lambda h: all(n["closed"] for n in h))
        assert notification_server.count("displayed") == 0
    finally:
        notifier.stop()


# Invoking a button for real: `dunstctl action 0` on a prompt with two buttons opens
# dunst's context menu, which runs the `dmenu` program of its config with lines like
# "#Snooze 5 min (Stretch break) [7,snooze]" and invokes the line it prints.
_MENU_DUNSTRC = """\
[global]
    dmenu = {picker}
    idle_threshold = 0
[urgency_normal]
    timeout = 0
"""


@pytest.fixture
def menu_dunst(xvfb: str, dbus_session: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """dunst whose context menu picks the line matching the word in `pick.txt`."""
    exe = require_tool("dunst")
    require_tool("dunstctl")
    env = dict(os.environ, DISPLAY=xvfb, DBUS_SESSION_BUS_ADDRESS=dbus_session)
    with tempfile.TemporaryDirectory(prefix="ergod-menu-") as tmp:
        choice = Path(tmp) / "pick.txt"
        picker = Path(tmp) / "pick.sh"
        picker.write_text(f'#!/bin/sh\nexec grep -m1 -F -- "$(cat {choice})"\n')
        picker.chmod(0o755)
        config = Path(tmp) / "dunstrc"
        config.write_text(_MENU_DUNSTRC.format(picker=picker))
        proc = subprocess.Popen(
            [exe, "-config", str(config)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            yield choice, env
        finally:
            stop_process(proc)


def _open_when_ready() -> FreedesktopNotifier:
    """dunst takes its bus name a moment after starting."""
    import time

    deadline = time.monotonic() + WAIT
    while True:
        try:
            return FreedesktopNotifier.open(os.environ)
        except NotifierUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.mark.parametrize(
    ("label", "key"), [("Snooze 5 min", SNOOZE), ("Skip", SKIP), ("This hurts", HURTS)]
)
def test_pressing_a_button_in_dunst_reaches_on_action(
    menu_dunst: tuple[Path, dict[str, str]], label: str, key: str
) -> None:
    choice, env = menu_dunst
    choice.write_text(label)
    notifier = _open_when_ready()
    pressed: list[str] = []
    done = threading.Event()

    def on_action(action_key: str) -> None:
        pressed.append(action_key)
        done.set()

    notifier.on_action(on_action)
    try:
        assert notifier.show(stretch()).ok
        subprocess.run(["dunstctl", "action", "0"], env=env, check=True, timeout=WAIT)
        assert done.wait(WAIT), "no ActionInvoked reached the callback"
        assert pressed == [key]
    finally:
        notifier.stop()


def test_no_server_is_unavailable_and_auto_falls_back_to_console(
    dbus_session: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(NotifierUnavailable, match="no notification server"):
        FreedesktopNotifier.open(os.environ)

    env = dict(os.environ, PATH=str(tmp_path))  # and no notify-send for plyer
    with caplog.at_level(logging.INFO, logger="test"):
        choice = select_notifier("auto", env, logging.getLogger("test"))
    assert [r.getMessage() for r in caplog.records] == [choice.message]
    try:
        assert choice.chain == ("console",)
        assert [name for name, _ in choice.rejected] == ["freedesktop", "plyer"]
        assert "no notification server" in choice.message
        delivery = choice.notifier.show(stretch())
    finally:
        choice.notifier.stop()
    assert delivery.ok and delivery.backend == "console"
    assert "ergod: Stretch break: Shoulder circles (30 s)" in capsys.readouterr().err


def test_server_gone_after_start_fails_delivery_and_chain_uses_console(
    notification_server: NotificationServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = dict(os.environ, PATH=str(tmp_path))
    choice = select_notifier("auto", env, logging.getLogger("test"))
    try:
        assert choice.chain == ("freedesktop", "console")
        assert choice.notifier.show(stretch("Before")).ok
        stop_process(notification_server.proc)

        alone = choice.notifier.members[0].show(stretch("Direct"))
        assert not alone.ok
        assert "no notification server" in alone.detail

        with caplog.at_level(logging.WARNING, logger="test"):
            delivery = choice.notifier.show(stretch("After"))
    finally:
        choice.notifier.stop()
    assert delivery.ok and delivery.backend == "console"
    assert "freedesktop failed" in delivery.detail
    assert any("freedesktop could not show" in r.getMessage() for r in caplog.records)
    assert "ergod: Stretch break: After" in capsys.readouterr().err


def test_forced_freedesktop_without_server_is_an_error(dbus_session: str) -> None:
    from ergod.errors import EXIT_RUNTIME, ErgodError

    with pytest.raises(ErgodError) as caught:
        select_notifier("freedesktop", os.environ, logging.getLogger("test"))
    assert caught.value.exit_code == EXIT_RUNTIME
    assert "no notification server" in caught.value.message


def test_stop_ends_the_listener_thread(notification_server: NotificationServer) -> None:
    notifier = FreedesktopNotifier.open(os.environ)
    assert notifier.show(stretch()).ok
    assert any(t.name == "ergod-dbus-notify" for t in threading.enumerate())
    notifier.stop()
    assert not any(t.name == "ergod-dbus-notify" for t in threading.enumerate())


def test_a_bus_that_dies_gives_failed_deliveries_not_exceptions(xvfb: str) -> None:
    with running_dbus_session() as address, running_dunst(xvfb, address):
        notifier = FreedesktopNotifier.open({"DBUS_SESSION_BUS_ADDRESS": address})
        assert notifier.show(stretch()).ok
    try:
        delivery = notifier.show(stretch("After the bus died"))
        notifier.close()
    finally:
        notifier.stop()
    assert not delivery.ok
    assert delivery.backend == "freedesktop"
