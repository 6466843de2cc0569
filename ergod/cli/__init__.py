"""The `ergod` command line: one sub-module per command group.

Each module in `COMMANDS` exposes `register(subparsers)`, which adds its
parser and sets `func(args) -> int`. Command modules import only the standard
library at top level, so `ergod --help` and `ergod status` stay fast and never
load pynput; the work and its imports happen inside `func`. `ergod run` builds
only its own parser, so the daemon holds none of the other command modules.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ergod import __version__
from ergod.errors import EXIT_RUNTIME, EXIT_USAGE, ErgodError

# Order is the order shown in `ergod --help`.
COMMANDS: tuple[str, ...] = (
    "run",
    "config",
    "simulate",
    "control",
    "exercises",
    "summary",
    "demo",
    "data",
    "service",
    "doctor",
    "metrics",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a one-line message, never a traceback."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        sys.stderr.write(f"ergod: error: {message}\n")
        raise SystemExit(EXIT_USAGE)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` the one command's parser (what a
    run of that command needs: `ergod run` then keeps no other command's module)."""
    parser = _Parser(
        prog="ergod",
        description="Ergonomic break reminders from your real sitting time.",
    )
    parser.add_argument("--version", action="version", version=f"ergod {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS if only is None else (only,):
        module = importlib.import_module(f"ergod.cli.{name}")
        module.register(sub)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """`run` when argv runs the daemon: it then builds only its own parser and
    keeps no other command's module for the day. Every other command (the
    command modules register several words each) builds the whole line."""
    return "run" if list(argv[:1]) == ["run"] else None


def main(argv: Sequence[str] | None = None) -> int:
    from ergod.i18n import activate

    parser = build_parser(_command_of(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    # The environment's language; a command that reads the configuration
    # switches to `[notify] language` when that is set (load_for_command).
    activate("", os.environ)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = func(args)
        return code
    except ErgodError as exc:
        sys.stderr.write(f"ergod: {exc.message}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_RUNTIME
    except Exception as exc:
        # A bug, not a user error: one plain line, the traceback only on request.
        if os.environ.get("ERGOD_DEBUG"):
            raise
        sys.stderr.write(
            f"ergod: internal error: {type(exc).__name__}: {exc}\n"
            "ergod: please report it; run again with ERGOD_DEBUG=1 for the details\n"
        )
        return EXIT_RUNTIME
