"""The shared fixtures in conftest.py work against the real tools they start.

These guard the test infrastructure itself: if Xvfb, the private bus or dunst stop
behaving as conftest.py promises, these fail first with a clear name.
"""

from __future__ import annotations

import os
import subprocess

import pytest
from servers import NotificationServer, require_tool

pytestmark = [pytest.mark.x11, pytest.mark.dbus]


def _notify(summary: str, body: str, app: str = "ergod-test") -> None:
    exe = require_tool("notify-send")
    subprocess.run([exe, "-a", app, summary, body], check=True, timeout=10)


def test_xvfb_sets_display_and_accepts_clients(xvfb: str) -> None:
    assert os.environ["DISPLAY"] == xvfb
    exe = require_tool("xdotool")
    out = subprocess.run(
        [exe, "getdisplaygeometry"], capture_output=True, text=True, check=True, timeout=10
    )
    assert out.stdout.split() == ["1280", "800"]


def test_two_xvfb_servers_get_different_displays(xvfb: str) -> None:
    from servers import running_xvfb

    with running_xvfb() as other:
        assert other != xvfb


def test_xvfb_process_takes_extra_arguments_and_is_stopped_after() -> None:
    from servers import running_xvfb_process

    exe = require_tool("xdotool")
    # A later -screen overrides the default one: proof the extra arguments arrive.
    with running_xvfb_process("-screen", "0", "640x480x24") as (display, proc):
        out = subprocess.run(
            [exe, "getdisplaygeometry"],
            env=dict(os.environ, DISPLAY=display),
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
        assert out.stdout.split() == ["640", "480"]
        assert proc.poll() is None
    assert proc.poll() is not None


def test_dbus_session_is_private_and_answers(dbus_session: str) -> None:
    assert os.environ["DBUS_SESSION_BUS_ADDRESS"] == dbus_session
    exe = require_tool("dbus-send")
    out = subprocess.run(
        [
            exe,
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/",
            "org.freedesktop.DBus.ListNames",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    assert "org.freedesktop.DBus" in out.stdout
    # Nobody but the bus itself and us: no host service leaked onto it.
    assert "org.freedesktop.Notifications" not in out.stdout


def test_notification_server_records_displayed_and_closed(
    notification_server: NotificationServer,
) -> None:
    assert notification_server.history() == []
    _notify("Stand up", "line one\nit's line two")
    _notify("Stretch", "roll your shoulders")
    seen = notification_server.wait_for(lambda h: len(h) == 2)
    assert [(n["appname"], n["summary"], n["body"], n["closed"]) for n in seen] == [
        ("ergod-test", "Stand up", "line one\nit's line two", False),
        ("ergod-test", "Stretch", "roll your shoulders", False),
    ]
    assert notification_server.count("displayed") == 2
    notification_server.dunstctl("close-all")
    closed = notification_server.wait_for(lambda h: all(n["closed"] for n in h) and len(h) == 2)
    assert [n["summary"] for n in closed] == ["Stand up", "Stretch"]
    assert [n["id"] for n in closed] == [n["id"] for n in seen]


def test_a_replaced_notification_shows_its_latest_text(
    notification_server: NotificationServer,
) -> None:
    exe = require_tool("notify-send")
    first = subprocess.run(
        [exe, "--print-id", "Stand up", "old text"],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    nid = first.stdout.strip()
    subprocess.run([exe, f"--replace-id={nid}", "Stand up", "new text"], check=True, timeout=10)
    seen = notification_server.wait_for(lambda h: h and h[0]["body"] == "new text")
    assert [(n["id"], n["body"]) for n in seen] == [(int(nid), "new text")]


@pytest.mark.parametrize("summary", ["first test", "second test"])
def test_shared_notification_server_shows_only_this_tests_notifications(
    shared_notification_server: NotificationServer, summary: str
) -> None:
    assert shared_notification_server.history() == []
    _notify(summary, "body")
    seen = shared_notification_server.wait_for()
    assert [n["summary"] for n in seen] == [summary]


def test_require_tool_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_tool("ergod-no-such-tool")


def test_require_tool_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not installed"):
        require_tool("ergod-no-such-tool")
