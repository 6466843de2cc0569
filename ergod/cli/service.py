"""`ergod service install | uninstall | status`: start ergod at login (ergod.service).

`install` writes the systemd user unit for this ergod and enables and starts it
(`--user`, the default), or installs it for every user (`--global`, as root);
`--autostart` uses an XDG autostart file instead, for sessions without a systemd
user manager. `--dry-run` prints the file and the commands and changes nothing.
Installing twice changes nothing the second time. The work is in ergod.fleet.service.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def _target_arguments(parser: argparse.ArgumentParser, *, dry_run: bool = True) -> None:
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument(
        "--user",
        dest="scope",
        action="store_const",
        const="user",
        help="for you: ~/.config/systemd/user (default)",
    )
    scope.add_argument(
        "--global",
        dest="scope",
        action="store_const",
        const="global",
        help="for every user of this machine: /etc/systemd/user (as root)",
    )
    parser.set_defaults(scope="user")
    parser.add_argument(
        "--autostart",
        action="store_true",
        help="an XDG autostart file instead of the systemd unit (no systemd user manager)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("/"),
        metavar="DIR",
        help="with --global: operate on the system tree under DIR (images, tests)",
    )
    if dry_run:
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be done; change nothing"
        )


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "service",
        help="start ergod at login (systemd user unit or XDG autostart)",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    actions = parser.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    install = actions.add_parser("install", help="install, enable and start ergod at login")
    _target_arguments(install)
    install.set_defaults(func=lambda args: _change(args, "install"))
    uninstall = actions.add_parser("uninstall", help="stop starting ergod at login")
    _target_arguments(uninstall)
    uninstall.set_defaults(func=lambda args: _change(args, "uninstall"))
    status = actions.add_parser("status", help="where ergod is set to start from")
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.add_argument("--root", type=Path, default=Path("/"), metavar="DIR", help="system tree")
    status.set_defaults(func=_status)


def _change(args: argparse.Namespace, action_name: str) -> int:
    import os

    from ergod.environment import Environment
    from ergod.errors import UsageError
    from ergod.fleet import service

    env = Environment.from_os()
    root = args.root.absolute()
    scope = service.Scope(args.scope)
    if root != Path("/") and scope is not service.Scope.GLOBAL:
        raise UsageError("--root goes with --global")
    route = service.Route.AUTOSTART if args.autostart else service.Route.SYSTEMD
    target = service.Target(scope, route, root)
    action = service.Action(action_name)
    executable = service.ergod_executable()
    steps = service.plan(action, target, env, executable)
    if not steps:
        what = "installed" if action is service.Action.INSTALL else "not installed"
        print(f"nothing to do: {target.path(env)} is {what}")
        return 0
    if args.dry_run:
        for step in steps:
            if isinstance(step, service.WriteFile):
                print(f"# {step.path}")
                print(step.text)
        print("would:")
        for step in steps:
            print(f"  {step.describe()}")
        return 0
    getuid = getattr(os, "geteuid", None)
    if scope is service.Scope.GLOBAL and root == Path("/") and getuid is not None and getuid():
        raise service.ServiceError(
            f"ergod service {action_name} --global changes /etc: run it as root "
            "(or see what it would do with --dry-run)"
        )
    for line in service.apply(steps, target):
        print(f"done: {line}")
    if scope is service.Scope.GLOBAL and action is service.Action.INSTALL:
        print("each user's ergod starts at their next graphical login")
    return 0


def _status(args: argparse.Namespace) -> int:
    import json

    from ergod.daemon.instance import running_pid
    from ergod.environment import Environment
    from ergod.errors import ErgodError
    from ergod.fleet import service

    env = Environment.from_os()
    try:
        executable: Path | None = service.ergod_executable()
    except ErgodError:
        executable = None
    found = service.installed(env, executable, args.root.absolute())
    pid = running_pid(env)
    if args.json:
        data = {
            "executable": None if executable is None else str(executable),
            "running_pid": pid,
            "targets": [item.to_json() for item in found],
        }
        print(json.dumps(data, indent=2))
        return 0
    print(f"ergod daemon: {'running, pid ' + str(pid) if pid else 'not running'}")
    for item in found:
        name = f"{item.target.scope.value} {item.target.route.value}"
        if not item.present:
            state = "not installed"
        else:
            state = "installed" if item.current else "installed (differs from this ergod's)"
            answers = [a for a in (item.enabled, item.active) if a]
            if answers:
                state += f", {', '.join(answers)}"
        print(f"  {name:<17} {state:<40} {item.path}")
    return 0
