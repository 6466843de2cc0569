"""The Debian package (issue 16), installed and run the way docs/deployment.md says.

`scripts/build-deb` builds the .deb once per session (its lintian check is
part of it). The module's throwaway root (tests/deb_support.py: this machine
as an overlay in a private mount namespace, the repository hidden) is where
the guide is followed: every command of docs/deployment.md's `sh` blocks is
either run there, in the guide's order, with `sudo` dropped (the commands run
as root), or named in `GUIDE` with the test that does what it does where a
root without a running systemd or servers cannot. The tests then look at
what the guide's commands left: the installed files, the unit as systemd
reads it, the installed ergod running as a daemon on a real X server and
session bus with Debian's python3-* libraries, and its doctor. The last test
purges the package and installs it again under a site preset.

The installed ergod is always /usr/bin/ergod inside the root, run with
Debian's PATH and no venv: the pip-installed ergod of the other tests and the
repository are not visible there.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: tomli, an ergod dependency there
    import tomli as tomllib
from deb_support import Root, build_deb, throwaway_root
from servers import NotificationServer, stop_process
from test_service_support import REPO

from ergod import __version__
from ergod.cli import build_parser
from ergod.fleet.service import PACKAGED_EXECUTABLE, render_autostart

pytestmark = pytest.mark.e2e

RUN = "run in the throwaway root, in order"
# Every command of docs/deployment.md's sh blocks, in the guide's order: RUN,
# or the test that does what it does (and why it cannot run as it stands).
GUIDE: dict[str, str] = {
    "scripts/build-deb": "tests/test_deb.py::test_build_deb_makes_a_lintian_clean_package"
    " (with --output, to leave the checkout alone)",
    "sudo mkdir -p /etc/systemd/user-preset": (
        "tests/test_deb.py::test_a_site_preset_decides_and_purge_cleans_up (before an install)"
    ),
    "echo 'disable ergod.service' | sudo tee /etc/systemd/user-preset/50-site.preset": (
        "tests/test_deb.py::test_a_site_preset_decides_and_purge_cleans_up (before an install)"
    ),
    "sudo apt-get install ./ergod_0.1.0_all.deb": RUN,
    "ergod --version": RUN,
    "systemctl --global is-enabled ergod.service": RUN,
    "sudo cp /etc/ergod/config.d/50-site.toml.example /etc/ergod/config.d/50-site.toml": RUN,
    "sudo cp /etc/ergod/policy.d/10-it.toml.example /etc/ergod/policy.d/10-it.toml": RUN,
    "ergod config check": RUN,
    "ergod config show --origin": RUN,
    "ERGOD_SYSTEM_DIR=./staging/etc/ergod ergod config check": (
        "tests/test_config_cli.py::test_check_clean_exits_zero_and_covers_all_layers"
    ),
    "ergod doctor": "tests/test_deb.py::test_the_installed_doctor_is_healthy_with_its_daemon"
    " (needs the user's session and daemon)",
    "ergod doctor --json": (
        "tests/test_deb.py::test_the_installed_doctor_is_healthy_with_its_daemon"
    ),
    "sudo apt-get install prometheus-node-exporter": RUN,
    "sudo systemctl enable --now ergod-metrics-collect.timer": (
        "tests/test_deb.py::test_the_installed_units_verify_and_the_timer_runs_the_guides_command"
        " (--now needs a booted systemd)"
    ),
    "ergod metrics write": RUN,
    "sudo ergod metrics collect --dir /var/lib/ergod/metrics"
    " --output /var/lib/prometheus/node-exporter/ergod.prom": RUN,
    "curl -s http://localhost:9100/metrics | grep '^ergod_'": (
        "tests/test_fleet_prometheus.py::test_the_ergod_series_carry_exactly_the_fixed_labels"
        " (real node exporters serving ergod.prom)"
    ),
    "sudo apt-get install prometheus": RUN,
    "sudo cp /usr/share/ergod/prometheus/ergod-rules.yml"
    " /usr/share/ergod/prometheus/ergod-alerts.yml /etc/prometheus/": RUN,
    "promtool check rules /etc/prometheus/ergod-rules.yml /etc/prometheus/ergod-alerts.yml": RUN,
    "promtool test rules /usr/share/ergod/prometheus/ergod.test.yml": (
        "tests/test_fleet_prometheus.py::test_promtool_unit_tests_of_the_rules_pass"
        " (on the repository's copy, which test_the_installed_files holds equal)"
    ),
    "promtool check config /usr/share/ergod/prometheus/prometheus.yml": RUN,
    "promtool check config /etc/prometheus/prometheus.yml": RUN,
    "sudo systemctl reload prometheus": (
        "tests/test_fleet_prometheus.py::test_every_shipped_rule_evaluates_without_error"
        " (a real prometheus started on the example configuration)"
    ),
    "curl -s 'http://localhost:9090/api/v1/query?query=fleet_kind:ergod_adherence:ratio'": (
        "tests/test_fleet_prometheus.py::test_fleet_movement_adherence_equals_the_three_weeks"
    ),
    "sudo ergod service install --global": (
        "tests/test_service.py::test_global_install_enables_for_every_user_under_a_root"
    ),
    "ergod service status": "tests/test_service.py::test_status_finds_the_unit_a_package_ships",
}


def guide_commands() -> list[str]:
    """Each line of each ```sh block of docs/deployment.md, in order."""
    text = (REPO / "docs" / "deployment.md").read_text()
    blocks = re.findall(r"^```sh\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def as_root(command: str) -> str:
    """The guide's command as root runs it: `sudo` dropped."""
    return re.sub(r"(^|\| )sudo ", r"\1", command)


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """`scripts/build-deb`, once per session: the .deb and the script's log."""
    return build_deb(tmp_path_factory.mktemp("deb"))


@pytest.fixture(scope="module")
def guide(
    built: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Root, list[tuple[str, subprocess.CompletedProcess[str]]]]]:
    """A throwaway root where the guide's commands ran in order (stopping at a failure)."""
    deb, _ = built
    with throwaway_root(tmp_path_factory.mktemp("root")) as root:
        # No man-db index rebuild after each dpkg run: seconds each, and `man`
        # finds the page without it.
        root.shell("rm -f /var/lib/man-db/auto-update")
        done: list[tuple[str, subprocess.CompletedProcess[str]]] = []
        for command in guide_commands():
            if GUIDE.get(command) != RUN:
                continue
            result = root.shell(as_root(command), cwd=str(deb.parent))
            done.append((command, result))
            if result.returncode != 0:
                break
        yield root, done


def test_build_deb_makes_a_lintian_clean_package(built: tuple[Path, str]) -> None:
    deb, log = built
    assert deb.name == f"ergod_{__version__}_all.deb"
    assert "lintian: no error, warning or info tag" in log
    fields = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Package", "Version", "Architecture", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Version: {__version__}\n" in fields and "Architecture: all\n" in fields
    changelog = (REPO / "debian" / "changelog").read_text()
    assert changelog.startswith(f"ergod ({__version__}) ")
    # Each override in debian/ says why, in the comment right above it.
    overrides = (REPO / "debian" / "ergod.lintian-overrides").read_text().splitlines()
    for index, line in enumerate(overrides):
        if line and not line.startswith("#"):
            assert index > 0 and overrides[index - 1].startswith("# "), line


def test_the_package_depends_on_debians_python3_packages_at_pyprojects_floors(
    built: tuple[Path, str], guide: tuple[Root, list[Any]]
) -> None:
    """Every runtime dependency is a Debian package, at a version pyproject accepts,
    and ergod is imported from Debian's dist-packages."""
    deb, _ = built
    root, _ = guide
    depends = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Depends"], capture_output=True, text=True, check=True
    ).stdout
    debian_names = {"python-xlib": "python3-xlib"}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9_-]+", requirement)[0]  # type: ignore[index]
        floor = (re.search(r">=([0-9.]+)", requirement) or [None, None])[1]
        if "python_version < " in requirement:
            continue  # tomli: Debian 12's Python is 3.11
        package = debian_names.get(name, f"python3-{name.lower()}")
        assert package in depends, package
        version = root.run("dpkg-query", "--showformat=${Version}", "--show", package).stdout
        assert version, f"{package} is not installed"
        release = re.match(r"(?:\d+:)?([0-9.]+)", version)  # epoch:upstream-debian
        assert release, version
        upstream = tuple(int(x) for x in release[1].split("."))
        assert floor is None or upstream >= tuple(int(x) for x in floor.split(".")), package
    where = root.run("python3", "-c", "import ergod; print(ergod.__file__)")
    assert where.stdout.strip() == "/usr/lib/python3/dist-packages/ergod/__init__.py"


def test_the_guide_names_every_command_it_shows() -> None:
    assert guide_commands() == list(GUIDE), "docs/deployment.md and GUIDE differ"
    for command, how in GUIDE.items():
        if how == RUN:
            continue
        test = re.match(r"(tests/\S+\.py)::(\w+)", how)
        assert test, f"{command!r}: {how!r} names no test"
        assert f"def {test[2]}(" in (REPO / test[1]).read_text(), how


def test_the_guides_commands_run_on_a_machine_without_the_repo(
    guide: tuple[Root, list[tuple[str, subprocess.CompletedProcess[str]]]],
) -> None:
    root, done = guide
    for command, result in done:
        assert result.returncode == 0, f"{command}: exit {result.returncode}\n{result.stderr}"
    assert [command for command, _ in done] == [c for c in guide_commands() if GUIDE[c] == RUN]
    output = {command: result.stdout for command, result in done}
    assert output["ergod --version"] == f"ergod {__version__}\n"
    assert output["systemctl --global is-enabled ergod.service"] == "enabled\n"
    assert "(locked)" in output["ergod config show --origin"]  # the example policy
    assert (
        "SUCCESS"
        in output[
            "promtool check rules /etc/prometheus/ergod-rules.yml /etc/prometheus/ergod-alerts.yml"
        ]
    )
    host_file = root.path("/var/lib/prometheus/node-exporter/ergod.prom").read_text()
    assert "ergod_build_info" in host_file  # the collector merged the file ergod wrote
    assert not root.path(str(REPO)).joinpath("pyproject.toml").exists()  # no repo in there


def test_the_installed_files(guide: tuple[Root, list[Any]]) -> None:
    root, _ = guide
    unit = root.path("/usr/lib/systemd/user/ergod.service").read_text()
    assert unit == (REPO / "systemd" / "ergod.service").read_text()
    assert (
        root.path("/usr/lib/systemd/user-preset/80-ergod.preset")
        .read_text()
        .endswith("enable ergod.service\n")
    )
    wants = root.path("/etc/systemd/user/graphical-session.target.wants/ergod.service")
    assert os.readlink(wants) == "/usr/lib/systemd/user/ergod.service"
    autostart = root.path("/etc/xdg/autostart/ergod.desktop").read_text()
    assert autostart == render_autostart(PACKAGED_EXECUTABLE)
    conffiles = root.run("dpkg-query", "--showformat=${Conffiles}", "--show", "ergod").stdout
    for path in (
        "/etc/ergod/config.d/50-site.toml.example",
        "/etc/ergod/policy.d/10-it.toml.example",
        "/etc/xdg/autostart/ergod.desktop",
    ):
        assert path in conffiles, path
    assert (
        root.path("/etc/ergod/policy.d/10-it.toml.example").read_text()
        == (REPO / "config" / "examples" / "policy.toml").read_text()
    )
    assert oct(root.path("/var/lib/ergod/metrics").stat().st_mode & 0o7777) == "0o1733"
    for name in (
        "ergod-rules.yml",
        "ergod-alerts.yml",
        "ergod.test.yml",
        "ergod-dashboard.json",
        "prometheus.yml",
    ):
        shipped = root.path(f"/usr/share/ergod/prometheus/{name}").read_text()
        assert shipped == (REPO / "contrib" / "prometheus" / name).read_text(), name
    assert root.path("/usr/share/doc/ergod/deployment.md.gz").is_file()
    # The compiled catalogs, and Debian's python3-babel: the package speaks German.
    for language in ("de", "fr", "es"):
        mo = f"/usr/lib/python3/dist-packages/ergod/locale/{language}/LC_MESSAGES/ergod.mo"
        assert root.path(mo).is_file(), mo
    german = root.run("ergod", "exercises", "show", "chest_doorway", env={"LANGUAGE": "de"})
    assert german.returncode == 0, german.stderr
    assert german.stdout.startswith("Türrahmen-Dehnung  [chest_doorway]")


def test_the_man_page_is_the_cli(guide: tuple[Root, list[Any]]) -> None:
    """Generated from the parser: every command and every option of each is in it."""
    root, _ = guide
    page = gzip.decompress(root.path("/usr/share/man/man1/ergod.1.gz").read_bytes()).decode()
    assert page.startswith('.TH ERGOD 1 "') and f'"ergod {__version__}"' in page
    assert "ergod \\- break reminders" in page
    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, prog: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    if f"\\fB{prog}\\fR \\fI\\,{name}\\/" not in page:
                        missing.append(f"{prog} {name}")
                    walk(sub, f"{prog} {name}")
            elif not isinstance(action, argparse._HelpAction):
                missing.extend(
                    o for o in action.option_strings if o.replace("-", "\\-") not in page
                )

    walk(build_parser(), "ergod")
    assert missing == []
    shown = root.run("man", "-P", "cat", "ergod", env={"MANWIDTH": "80"})
    assert shown.returncode == 0 and "--stale-after" in shown.stdout


def test_the_installed_units_verify_and_the_timer_runs_the_guides_command(
    guide: tuple[Root, list[Any]], tmp_path: Path
) -> None:
    root, _ = guide
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {"XDG_RUNTIME_DIR": str(runtime)}
    user = root.run(
        "systemd-analyze", "--user", "verify", "--man=no", "/usr/lib/systemd/user/ergod.service",
        env=env,
    )  # fmt: skip
    assert (user.returncode, user.stdout + user.stderr) == (0, "")
    system = root.run(
        "systemd-analyze", "verify", "--man=no",
        "/lib/systemd/system/ergod-metrics-collect.service",
        "/lib/systemd/system/ergod-metrics-collect.timer",
        env=env,
    )  # fmt: skip
    assert (system.returncode, system.stdout + system.stderr) == (0, "")
    # The package leaves the collector off; the guide's enable works (--now needs a booted
    # systemd), and the service runs what the guide runs by hand.
    assert root.run("systemctl", "is-enabled", "ergod-metrics-collect.timer").stdout == "disabled\n"
    enabled = root.run("systemctl", "enable", "ergod-metrics-collect.timer")
    assert enabled.returncode == 0, enabled.stderr
    assert root.run("systemctl", "is-enabled", "ergod-metrics-collect.timer").stdout == "enabled\n"
    assert root.run("systemctl", "disable", "ergod-metrics-collect.timer").returncode == 0
    service = root.path("/lib/systemd/system/ergod-metrics-collect.service").read_text()
    (exec_start,) = re.findall(r"^ExecStart=(.*)$", service, re.MULTILINE)
    (by_hand,) = [c for c in GUIDE if c.startswith("sudo ergod metrics collect")]
    assert exec_start == as_root(by_hand).replace("ergod ", "/usr/bin/ergod ", 1)


@pytest.mark.x11
@pytest.mark.dbus
def test_the_installed_doctor_is_healthy_with_its_daemon(
    guide: tuple[Root, list[Any]], tmp_path: Path, shared_notification_server: NotificationServer
) -> None:
    """/usr/bin/ergod on Debian's python3-* packages: the daemon on a real X server
    (python3-xlib, python3-pynput) and session bus (python3-jeepney) with dunst, its
    scheduler (python3-apscheduler), `ergod config set` (python3-tomlkit), the doctor."""
    root, _ = guide
    env = {"DISPLAY": os.environ["DISPLAY"]}
    env["DBUS_SESSION_BUS_ADDRESS"] = os.environ["DBUS_SESSION_BUS_ADDRESS"]
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
        (tmp_path / name.lower()).mkdir(mode=0o700)
        env[name] = str(tmp_path / name.lower())
    daemon = root.popen("/usr/bin/ergod", "run", env=env)
    try:
        deadline = time.monotonic() + 30
        while root.run("/usr/bin/ergod", "status", env=env).returncode != 0:
            assert daemon.poll() is None, daemon.communicate()[1]
            assert time.monotonic() < deadline, "the installed daemon did not answer"
            time.sleep(0.3)
        report = root.run("/usr/bin/ergod", "doctor", "--json", env=env)
        text = root.run("/usr/bin/ergod", "doctor", env=env)
        edited = root.run(
            "/usr/bin/ergod", "config", "set", "breaks.movement.every", "40m", env=env
        )
        status = json.loads(root.run("/usr/bin/ergod", "status", "--json", env=env).stdout)
    finally:
        stop_process(daemon)
    assert report.returncode == 0, report.stdout
    checks = {c["name"]: c for c in json.loads(report.stdout)["checks"]}
    assert {name: c["status"] for name, c in checks.items()} == dict.fromkeys(checks, "ok")
    assert checks["activity"]["summary"].startswith("x11")
    assert checks["notifications"]["summary"].startswith("freedesktop")
    assert "idle-first mode" in checks["daemon"]["summary"]
    service = "\n".join(checks["service"]["details"])
    assert "/usr/lib/systemd/user/ergod.service (enabled" in service
    assert "/etc/xdg/autostart/ergod.desktop" in service and "another ergod" not in service
    config = "\n".join(checks["config"]["details"])
    assert "/usr/lib/python3/dist-packages/ergod/data/default.toml (read)" in config
    assert "/etc/ergod/policy.d/10-it.toml (read)" in config
    assert checks["metrics"]["summary"].startswith("/var/lib/ergod/metrics/0.prom")
    assert text.returncode == 0 and text.stdout.splitlines()[0].endswith("healthy")
    assert edited.returncode == 0, edited.stderr
    assert 'every = "40m"' in (tmp_path / "xdg_config_home" / "ergod" / "config.toml").read_text()
    assert status["config_files"]  # the daemon answered after the reload config set asked for


def test_a_site_preset_decides_and_purge_cleans_up(
    guide: tuple[Root, list[Any]], built: tuple[Path, str]
) -> None:
    """Last: it changes the root. Purge removes the enablement and dpkg's files (not the
    administrator's copies); the guide's preset then keeps a new install disabled, and
    an upgrade keeps it so."""
    root, _ = guide
    deb, _ = built
    # dpkg, not apt: apt's resolution is the guide's part; the maintainer
    # scripts are what is tested here.
    purged = root.shell("dpkg --purge ergod")
    assert purged.returncode == 0, purged.stderr
    assert not root.path(
        "/etc/systemd/user/graphical-session.target.wants/ergod.service"
    ).is_symlink()
    assert not root.path("/etc/ergod/policy.d/10-it.toml.example").exists()
    assert root.path("/etc/ergod/policy.d/10-it.toml").exists()  # the administrator's copy
    assert not root.path("/usr/bin/ergod").exists()

    for command in [c for c in GUIDE if "user-preset" in c]:
        assert root.shell(as_root(command)).returncode == 0, command
    again = root.shell(f"dpkg --install ./{deb.name}", cwd=str(deb.parent))
    assert again.returncode == 0, again.stderr
    enabled = root.run("systemctl", "--global", "is-enabled", "ergod.service")
    assert enabled.stdout == "disabled\n"
    assert root.path("/usr/bin/ergod").exists()

    # An upgrade (here: the same version again) keeps that choice, though the
    # package's own preset alone would now enable the unit.
    assert root.shell("rm /etc/systemd/user-preset/50-site.preset").returncode == 0
    again = root.shell(f"dpkg --install ./{deb.name}", cwd=str(deb.parent))
    assert again.returncode == 0, again.stderr
    enabled = root.run("systemctl", "--global", "is-enabled", "ergod.service")
    assert enabled.stdout == "disabled\n"


def test_readme_names_the_one_build_command() -> None:
    readme = (REPO / "README.md").read_text()
    fleet = readme.split("## At login, and across a fleet", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```sh\n(.*?)\n```", fleet, re.DOTALL) == ["scripts/build-deb"]
    assert f"ergod_{__version__}_all.deb" in fleet


def test_apt_packages_lists_every_build_dependency() -> None:
    """CI installs scripts/apt-packages.txt before the tests; build-deb then needs no apt."""
    listed = {
        line.split("#", 1)[0].strip()
        for line in (REPO / "scripts" / "apt-packages.txt").read_text().splitlines()
    }
    control = (REPO / "debian" / "control").read_text()
    field = re.search(r"^Build-Depends:(.*?)^\S", control, re.MULTILINE | re.DOTALL)
    assert field
    # Virtual packages and who provides them.
    provided = {"debhelper-compat": "debhelper", "dh-sequence-python3": "dh-python"}
    for entry in field[1].split(","):
        name = re.sub(r"\(.*?\)", "", entry).strip()
        if name:
            assert provided.get(name, name) in listed, name
    assert {"lintian", "dpkg-dev", "util-linux"} <= listed


# The tests of the code that calls into pynput and python-xlib (the X11 source and
# its return watch), tomlkit (`ergod config set`) and APScheduler (the schedule's
# cron triggers). Deselected: a test pinning a bug of APScheduler 3.11 that 3.9 lacks.
ON_DEBIAN_LIBRARIES = ("test_activity_x11.py", "test_config_edit.py", "test_schedule.py")
DESELECT = "not test_apscheduler_skips_the_midnight_after_spring_forward"


@pytest.mark.x11
def test_the_code_using_debians_libraries_passes_its_tests_on_them() -> None:
    """pyproject's floors are Debian 12's versions: the repository's ergod under Debian's
    python3 with only Debian's packages (python3-pytest, not the venv) passes these tests.
    (Debian's pynput 1.7 blocked a return watch's listener thread for good; see
    ergod/activity/listener.py.)"""
    python = Path("/usr/bin/python3")
    probe = subprocess.run([python, "-c", "import pytest, hypothesis"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail("python3-pytest and python3-hypothesis are in scripts/apt-packages.txt")
    done = subprocess.run(
        [
            python,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-k",
            DESELECT,
            *(str(REPO / "tests" / name) for name in ON_DEBIAN_LIBRARIES),
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "PYTHONPATH": str(REPO), "LANG": "C.UTF-8"},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout
