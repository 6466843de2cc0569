"""ergod's configuration: layered TOML files, validated into frozen values.

The public face of the package (see docs/configuration.md):

* `load_config(env, extra_files=(), forgiving=False) -> LoadedConfig`: the
  effective config of all layers plus `--config` files; raises `ConfigError`
  (exit 2) listing every `Problem` when it cannot be used. `forgiving` (the
  daemon's reading) turns the user's own file's problems into warnings.
* `check_files(env, paths) -> list[Problem]`: the same checks, reported.
* `add_config_argument(parser)`: the repeatable `--config FILE` option.
* `Config` (frozen dataclasses per TOML section), `Config.rules()` for the
  engine; `LoadedConfig.origins` says which layer and file each value came
  from and whether policy locks it.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ergod.config.errors import ConfigError, Problem
    from ergod.config.layers import (
        Layer,
        LoadedConfig,
        Origin,
        check_files,
        layer_files,
        load_config,
    )
    from ergod.config.schema import (
        KEYS,
        Config,
    )

# Loaded on first use, so a command that only adds `--config` to its parser
# (at `ergod --help` time) does not pay for the TOML machinery.
_LAZY = {
    "ConfigError": "errors",
    "Problem": "errors",
    "Layer": "layers",
    "LoadedConfig": "layers",
    "Origin": "layers",
    "check_files": "layers",
    "layer_files": "layers",
    "load_config": "layers",
    "KEYS": "schema",
    "Config": "schema",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"ergod.config.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'ergod.config' has no attribute {name!r}")


__all__ = [
    "KEYS",
    "Config",
    "ConfigError",
    "Layer",
    "LoadedConfig",
    "Origin",
    "Problem",
    "add_config_argument",
    "check_files",
    "layer_files",
    "load_config",
]


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--config FILE` (repeatable) to a subcommand; read it as `args.config`.

    The files form the command-line layer, above the user's file and below
    policy, in the order given. `args.config` is a list of Paths (empty if none).
    """
    parser.add_argument(
        "--config",
        metavar="FILE",
        action="append",
        type=Path,
        default=[],
        help="an extra configuration file, above your own and below policy (repeatable)",
    )
