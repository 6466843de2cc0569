"""`ergod config`: check, show, list and edit the layered configuration.

* `check [FILE ...]`: every problem of every layer (plus FILEs), one per line
  as `FILE:LINE:COL: KEY: expected X, found Y`; exit 0 clean, 2 otherwise.
* `show [--origin] [--json] [--config FILE]`: the effective configuration.
* `paths`: the files of each layer and which exist.
* `set KEY VALUE` / `unset KEY`: edit the user's file (see ergod.config.edit).

Only the standard library is imported at top level; the work is in ergod.config.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ergod.errors import EXIT_OK, EXIT_RUNTIME, EXIT_USAGE

if TYPE_CHECKING:
    from ergod.config.edit import EditResult
    from ergod.environment import Environment


def register(subparsers: Any) -> None:
    from ergod.config import add_config_argument

    parser = subparsers.add_parser(
        "config",
        help="check, show and edit the configuration",
        description="Check, show and edit ergod's layered configuration.",
    )
    sub = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)

    check = sub.add_parser("check", help="validate the configuration files")
    check.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="extra files to check on top of the layers (default: the layers)",
    )
    check.set_defaults(func=_check)

    show = sub.add_parser("show", help="print the effective configuration")
    show.add_argument(
        "--origin", action="store_true", help="say which layer and file each value came from"
    )
    show.add_argument("--json", action="store_true", help="print JSON (durations in seconds)")
    add_config_argument(show)
    show.set_defaults(func=_show)

    paths = sub.add_parser("paths", help="list the files of each layer")
    paths.set_defaults(func=_paths)

    set_ = sub.add_parser("set", help="set a key in your config file")
    set_.add_argument("key", metavar="KEY", help='a dotted key, e.g. "breaks.stretch.every"')
    set_.add_argument("value", metavar="VALUE", help='e.g. "25m", 3, true, \'["zoom"]\'')
    set_.set_defaults(func=_set)

    unset = sub.add_parser("unset", help="remove a key from your config file")
    unset.add_argument("key", metavar="KEY")
    unset.set_defaults(func=_unset)


def _environment() -> Environment:
    from ergod.environment import Environment

    return Environment.from_os()


def _check(args: argparse.Namespace) -> int:
    from ergod.config.layers import check
    from ergod.environment import Environment

    # It only reports, so $ERGOD_SYSTEM_DIR may point at a staging tree whatever
    # policy says (ergod.environment.system_dir_allowed).
    result = check(Environment.from_os(any_system_dir=True), args.files)
    for problem in result.problems:
        print(problem.message)
    for warning in result.warnings:
        print(warning)
    count = len(result.problems)
    if count:
        sys.stderr.write(f"ergod: {count} problem{'s' if count != 1 else ''} found\n")
        return EXIT_USAGE
    print(f"ok: {len(result.files)} files checked")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    from ergod.config.layers import load_config
    from ergod.config.schema import KEYS
    from ergod.config.values import toml_literal

    loaded = load_config(_environment(), args.config)
    for warning in loaded.warnings:
        sys.stderr.write(f"ergod: {warning}\n")
    if args.json:
        nested: dict[str, Any] = {}
        for key, value in loaded.values.items():
            *tables, leaf = key.split(".")
            place = nested
            for table in tables:
                place = place.setdefault(table, {})
            place[leaf] = KEYS[key].to_json(value)
        if args.origin:
            origins = {
                key: {
                    "layer": origin.layer.value,
                    "file": None if origin.file is None else str(origin.file),
                    "line": origin.line,
                    "locked": origin.locked,
                }
                for key, origin in loaded.origins.items()
            }
            print(json.dumps({"config": nested, "origins": origins}, indent=2))
        else:
            print(json.dumps(nested, indent=2))
        return EXIT_OK
    lines = [
        (f"{key} = {toml_literal(KEYS[key].written(loaded.values[key]))}", key) for key in KEYS
    ]
    width = max(len(text) for text, _ in lines)
    for text, key in lines:
        if args.origin:
            print(f"{text.ljust(width)}  # {loaded.origins[key].describe()}")
        else:
            print(text)
    return EXIT_OK


def _paths(args: argparse.Namespace) -> int:
    from ergod.config.layers import Layer, layer_files

    env = _environment()
    rows: list[tuple[str, str, str]] = []
    for layer_file in layer_files(env):
        state = "exists" if layer_file.exists else "missing"
        if layer_file.layer is Layer.BUILTIN:
            state = "package data"
        rows.append((layer_file.layer.value, layer_file.name, state))
    # Directories show even when empty, so it is clear where files would go.
    for layer, directory in (("system", env.system_config_dir), ("policy", env.policy_dir)):
        if not any(row[1].startswith(f"{directory}/") for row in rows):
            rows.append((layer, f"{directory}/*.toml", "no files"))
    order = [layer.value for layer in Layer]
    rows.sort(key=lambda row: order.index(row[0]))
    rows.insert(order.index("command-line") + 1, ("command-line", "--config FILE", "per command"))
    width = max(len(row[0]) for row in rows)
    path_width = max(len(row[1]) for row in rows)
    for layer, path_text, state in rows:
        print(f"{layer.ljust(width)}  {path_text.ljust(path_width)}  ({state})")
    return EXIT_OK


def _report_edit(result: EditResult, done: str, nothing: str) -> int:
    print(done if result.changed else nothing)
    if result.reloaded is not None:
        print(f"running daemon: {result.reloaded}")
    if result.reload_failed is not None:
        sys.stderr.write(f"ergod: the running daemon did not reload: {result.reload_failed}\n")
        return EXIT_RUNTIME
    return EXIT_OK


def _set(args: argparse.Namespace) -> int:
    from ergod.config.edit import set_value

    result = set_value(_environment(), args.key, args.value)
    return _report_edit(
        result, f"set {args.key} in {result.path}", f"{args.key} already so in {result.path}"
    )


def _unset(args: argparse.Namespace) -> int:
    from ergod.config.edit import unset_value

    result = unset_value(_environment(), args.key)
    return _report_edit(
        result, f"removed {args.key} from {result.path}", f"{args.key} was not set in {result.path}"
    )
