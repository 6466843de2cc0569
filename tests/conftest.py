"""Fixtures over tests/servers.py, the Hypothesis profile, and the test tiers.

Tiers: a test that uses a real-server fixture is marked by what it uses
(`x11` for Xvfb, `dbus` for a bus or notification server); files that start
the installed daemon or other real servers mark themselves (`e2e`, ...), and a
test that starts the installed daemon through `daemon_support.Daemon` (itself
or through a helper of its module) is marked `e2e` here whatever its file. The
fast tier (`scripts/test --fast`) also leaves out `slow`, the long property runs.

Hypothesis runs under the `ergod` profile: no deadline and no `too_slow` or
`data_too_large` health check, so a busy CI machine cannot fail a property
test; the example counts stay as each test sets them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from daemon_support import Daemon
from hypothesis import HealthCheck, settings
from servers import NotificationServer, running_dbus_session, running_dunst, running_xvfb

settings.register_profile(
    "ergod",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Under CI=true the examples are derandomized: every CI run tries the same ones,
# so a landing is judged on the code, not on the draw (run locally to explore).
settings.register_profile(
    "ergod-ci",
    parent=settings.get_profile("ergod"),
    derandomize=True,
)
settings.load_profile("ergod-ci" if os.environ.get("CI") == "true" else "ergod")

# The suite's expected texts are English whatever the machine's locale; the
# translation tests (tests/test_i18n*.py) set the language they test.
os.environ["LANGUAGE"] = "en"

_FIXTURE_MARKS = {
    "xvfb": "x11",
    "shared_xvfb": "x11",
    "dbus_session": "dbus",
    "shared_dbus_session": "dbus",
    "notification_server": "dbus",
    "shared_notification_server": "dbus",
}


def _starts_the_daemon(item: pytest.Item) -> bool:
    """Whether the test's code, or a function of its module it calls, names
    `daemon_support.Daemon` (the installed `ergod run` as a subprocess)."""
    function = getattr(item, "function", None)
    module = getattr(item, "module", None)
    if function is None or module is None or getattr(module, "Daemon", None) is not Daemon:
        return False
    names = set(function.__code__.co_names)
    for name in list(names):
        helper = getattr(module, name, None)
        if callable(helper) and hasattr(helper, "__code__"):
            names.update(helper.__code__.co_names)
    return "Daemon" in names


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _starts_the_daemon(item):
            item.add_marker("e2e")
        for fixture in getattr(item, "fixturenames", ()):
            mark = _FIXTURE_MARKS.get(fixture)
            if mark is not None:
                item.add_marker(mark)
        if "notification_server" in getattr(item, "fixturenames", ()) or (
            "shared_notification_server" in getattr(item, "fixturenames", ())
        ):
            item.add_marker("x11")


@pytest.fixture
def xvfb(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with running_xvfb() as display:
        monkeypatch.setenv("DISPLAY", display)
        # The host's session type says nothing about the test's display.
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
        yield display


@pytest.fixture
def dbus_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with running_dbus_session() as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address


@pytest.fixture
def notification_server(xvfb: str, dbus_session: str) -> Iterator[NotificationServer]:
    with running_dunst(xvfb, dbus_session) as server:
        yield server


@pytest.fixture(scope="session")
def _session_xvfb() -> Iterator[str]:
    with running_xvfb() as display:
        yield display


@pytest.fixture(scope="session")
def _session_dbus() -> Iterator[str]:
    with running_dbus_session() as address:
        yield address


@pytest.fixture(scope="session")
def _session_dunst(_session_xvfb: str, _session_dbus: str) -> Iterator[NotificationServer]:
    with running_dunst(_session_xvfb, _session_dbus) as server:
        yield server


@pytest.fixture
def shared_xvfb(_session_xvfb: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DISPLAY", _session_xvfb)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    return _session_xvfb


@pytest.fixture
def shared_dbus_session(_session_dbus: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", _session_dbus)
    return _session_dbus


@pytest.fixture
def shared_notification_server(
    _session_dunst: NotificationServer, shared_xvfb: str, shared_dbus_session: str
) -> NotificationServer:
    if _session_dunst.proc.poll() is not None:
        pytest.fail(f"the shared dunst died (exit code {_session_dunst.proc.returncode})")
    _session_dunst.forget_so_far()
    return _session_dunst
