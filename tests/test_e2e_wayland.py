"""End to end on Wayland: the installed `ergod run` on headless sway and on headless Mutter.

* sway 1.7 (org_kde_kwin_idle v1): sway refuses root, so sway, `ergod run`,
  `ergod status` and `wtype` (the person) all run as the `nobody` uid in its
  own XDG_RUNTIME_DIR. dunst, the notification server, runs on an Xvfb
  display (it needs X) on a private bus that lets every uid in, the same bus
  ergod sends its prompt to. `source = "auto"` must find wayland by itself.
* The compositor dying under the running daemon: it says so in its log
  without being asked, runs on by the clock, and picks wayland again from a
  new sway on the same socket name, as the same process.
* Mutter 43 (`gnome`, org.gnome.Mutter.IdleMonitor): ResetIdletime with
  MUTTER_DEBUG_RESET_IDLETIME=1 is the person; dunst on the same bus.

Each user session types until the stretch prompt reaches dunst, then stops
until the break is `taken`; the store must keep that row. A short config
(stretch every 10 s, 3 s away takes it) keeps it to seconds; every wait polls
with generous limits.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from daemon_support import Daemon, Person, outcomes, status, stored, wait_for
from servers import NotificationServer, running_dbus_session, running_dunst, running_xvfb
from wayland_support import (
    GID,
    UID,
    Sway,
    as_user,
    reset_idletime,
    running_mutter,
    running_sway,
    sway_in,
)

pytestmark = [pytest.mark.wayland, pytest.mark.e2e, pytest.mark.dbus, pytest.mark.x11]

CONFIG = """\
[activity]
source = "auto"

[sitting]
break_after = "60s"

[breaks.stretch]
every = "10s"
duration = "3s"
grace = "5s"
repeat = "5s"
max_prompts = 3

[breaks.movement]
enabled = false

[notify]
backend = "freedesktop"
timeout = "60s"
"""

PROMPT_TIMEOUT = 60.0
OUTCOME_TIMEOUT = 40.0


@dataclass
class Desk:
    """A user's session: where ergod runs, as whom, and what it can reach."""

    env: dict[str, str]
    runner: tuple[str, ...]
    config: Path
    dunst: NotificationServer

    def status(self) -> dict[str, Any] | None:
        return status(self.env, self.runner)

    def daemon(self, log: Path, config: str = CONFIG, **extra: str) -> Daemon:
        self.config.write_text(config)
        env = dict(self.env, **extra)
        return Daemon(env, "--config", str(self.config), "--log-level", "debug",
                      runner=self.runner, log=log)  # fmt: skip


def user_dirs(root: Path, owner: tuple[int, int] | None) -> dict[str, str]:
    """Private XDG config and state directories (owned by `owner`) and no system config."""
    dirs = {}
    for name in ("XDG_CONFIG_HOME", "XDG_STATE_HOME"):
        path = root / name.lower()
        path.mkdir(mode=0o700)
        if owner is not None:
            os.chown(path, *owner)
        dirs[name] = str(path)
    dirs["ERGOD_SYSTEM_DIR"] = str(root / "no-system-config")
    dirs["DBUS_SYSTEM_BUS_ADDRESS"] = f"unix:path={root}/no-system-bus"
    return dirs


@contextlib.contextmanager
def notifications(any_user: bool) -> Iterator[tuple[str, NotificationServer]]:
    """dunst on its own Xvfb, on a private bus (open to every uid with `any_user`)."""
    with (
        running_xvfb() as display,
        running_dbus_session(any_user=any_user) as bus,
        running_dunst(display, bus) as dunst,
    ):
        yield bus, dunst


@pytest.fixture
def sway() -> Iterator[Sway]:
    with running_sway() as compositor:
        yield compositor


@pytest.fixture
def sway_desk(sway: Sway) -> Iterator[Desk]:
    with notifications(any_user=True) as (bus, dunst):
        config = sway.runtime / "e2e.toml"
        config.touch()
        os.chown(config, UID, GID)
        env = sway.env(
            DBUS_SESSION_BUS_ADDRESS=bus, **user_dirs(sway.runtime, (UID, GID))
        )  # no DISPLAY: a sway session without Xwayland
        yield Desk(env, tuple(as_user(())), config, dunst)


def typing(sway: Sway) -> Person:
    env = sway.env()
    wtype = as_user(("wtype", "k"))
    return Person(lambda: subprocess.run(wtype, env=env, check=False, capture_output=True))


def a_day_at_the_desk(desk: Desk, person: Person, log: Path, name: str, protocol: str) -> Daemon:
    """Start ergod; check it picked `name` speaking `protocol`; type until the
    stretch prompt reaches dunst, stop until the break is taken; stop ergod
    (exit 0) and check the store kept the taken break. Returns the stopped daemon."""
    try:
        with desk.daemon(log) as daemon:
            first = wait_for(desk.status, 30, "the control socket")
            source = first["source"]
            assert (source["name"], source["protocol"], source["mode"]) == (
                name,
                protocol,
                "idle-first",
            )
            person.present.set()
            shown = desk.dunst.wait_for(
                lambda items: [n for n in items if n["appname"] == "ergod"],
                timeout=PROMPT_TIMEOUT,
            )
            assert shown[-1]["summary"] == "Stretch break"
            assert len(shown[-1]["body"]) > 20  # the exercise's name and steps
            person.present.clear()
            wait_for(
                lambda: outcomes(desk.env, desk.runner).get("stretch:taken"),
                OUTCOME_TIMEOUT,
                "the break taken by stopping",
            )
            assert daemon.stop() == 0
    finally:
        person.close()
    kept = stored(desk.env)
    assert ("stretch", "taken") in [b[:2] for b in kept["breaks"]], kept
    assert all(b[2] for b in kept["breaks"] if b[1] == "taken")  # the exercise shown
    assert kept["events"] == ["start", "stop"]
    assert kept["spans"] >= 1
    return daemon


def test_ergod_on_sway_picks_wayland_and_records_a_taken_break(
    sway: Sway, sway_desk: Desk, tmp_path: Path
) -> None:
    log = tmp_path / "ergod.log"
    daemon = a_day_at_the_desk(sway_desk, typing(sway), log, "wayland", "org_kde_kwin_idle v1")
    assert "activity source: wayland (org_kde_kwin_idle v1) (not usable here: gnome: " in (
        daemon.output
    )


def test_sway_dying_under_ergod_falls_back_and_recovers(
    sway: Sway, sway_desk: Desk, tmp_path: Path
) -> None:
    """The compositor dies while the user is away and the return watch is
    armed: the daemon notices by itself (no status asked), falls back, and
    takes the new compositor's socket without a restart."""
    log = tmp_path / "ergod.log"
    # Nothing due for half an hour: no wake-up of the engine's own comes to the rescue.
    calm = CONFIG.replace('every = "10s"', 'every = "30m"')
    with sway_desk.daemon(log, calm, ERGOD_REPROBE_SECONDS="1") as daemon:
        first = wait_for(sway_desk.status, 30, "the control socket")
        assert first["source"]["name"] == "wayland"
        sway.run("wtype", "k")
        # Away twice the 3 s threshold: the daemon's check at the threshold,
        # queued before this status request, has armed its return watch.
        wait_for(
            lambda: ((sway_desk.status() or {}).get("idle_seconds") or 0) >= 6, 30, "an absence"
        )
        sway.proc.kill()
        sway.proc.wait(10)
        wait_for(
            lambda: "activity source wayland failed" in daemon.read(),
            30,
            "the daemon to notice the compositor exit by itself",
        )
        fallen = sway_desk.status()
        assert fallen is not None and fallen["source"]["mode"] == "schedule-only"
        reasons = dict(fallen["source"]["tried"])
        assert reasons["wayland"] == (
            "wayland: the compositor closed the connection (the compositor exited or restarted)"
        )
        with sway_in(sway.runtime) as again:
            back = wait_for(
                lambda: (s := sway_desk.status()) and s["source"]["mode"] == "idle-first" and s,
                30,
                "the wayland source to come back",
            )
            assert back["source"]["name"] == "wayland"
            assert back["source"]["protocol"] == "org_kde_kwin_idle v1"
            assert back["pid"] == first["pid"]
            again.run("wtype", "k")  # the new connection works: input is seen
            assert (sway_desk.status() or {})["idle_seconds"] < 3
            assert daemon.stop() == 0
    assert "wayland activity source lost: the compositor closed the connection" in daemon.output
    assert "activity source wayland works again" in daemon.output


# ---- GNOME: the gnome source on headless Mutter -------------------------------------


def test_ergod_on_mutter_picks_gnome_and_records_a_taken_break(tmp_path: Path) -> None:
    with notifications(any_user=False) as (bus, dunst), running_mutter(bus) as socket:
        runtime = tmp_path / "run"
        runtime.mkdir(mode=0o700)
        config = tmp_path / "e2e.toml"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp_path),
            "XDG_RUNTIME_DIR": str(runtime),
            "WAYLAND_DISPLAY": str(socket),  # a GNOME Wayland session
            "XDG_SESSION_TYPE": "wayland",
            "DBUS_SESSION_BUS_ADDRESS": bus,
            **user_dirs(tmp_path, None),
        }
        desk = Desk(env, (), config, dunst)
        person = Person(lambda: reset_idletime(bus))
        log = tmp_path / "ergod.log"
        a_day_at_the_desk(desk, person, log, "gnome", "org.gnome.Mutter.IdleMonitor")
