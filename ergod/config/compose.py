"""The composition root's shared steps: from an Environment to configured parts.

`ergod run` and `ergod simulate` must run the same engine under the same
configuration layers; both get their `Rules` (with the exercise rotation
filled in) from here, so there is one place where configuration becomes the
engine's input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from ergod.core.rules import Kind, Rules
from ergod.environment import Environment

if TYPE_CHECKING:
    from ergod.config import Config, LoadedConfig


def load(
    env: Environment, extra_files: Sequence[Path] = (), *, forgiving: bool = True
) -> LoadedConfig:
    """The configuration the daemon runs by (raises ConfigError, exit 2, if unusable).

    Forgiving by default, as `ergod run` and a reload read: a problem in the
    user's own file drops what it is about, with a warning, so a typo cannot
    stop the reminders; problems in system, policy and `--config` files refuse.
    """
    from ergod.config import load_config

    return load_config(env, extra_files, forgiving=forgiving)


def load_for_command(extra_files: Sequence[Path] = ()) -> tuple[Environment, LoadedConfig]:
    """This process's environment and configuration, for a one-shot command:
    every problem raises ConfigError (exit 2), the user's file read strictly;
    warnings (a locked key set) go to stderr. The command speaks the configured
    language (`[notify] language`) from here on."""
    import sys

    from ergod.i18n import activate

    env = Environment.from_os()
    loaded = load(env, extra_files, forgiving=False)
    for warning in loaded.warnings:
        sys.stderr.write(f"ergod: warning: {warning}\n")
    activate(loaded.config.notify.language, env.environ)
    return env, loaded


def engine_rules(config: Config) -> Rules:
    """The engine's rules from a configuration, exercise rotation included."""
    from ergod.exercises.library import load_library, rotations

    library = load_library(config.exercises.custom, config.exercises.disabled)
    return replace(config.rules(), exercises=rotations(library, durations(config)))


def durations(config: Config) -> dict[Kind, float]:
    """Each kind's `[breaks.<kind>] duration`: how long its cards must last."""
    rules = config.rules()
    return {kind: rules.kind(kind).duration for kind in Kind}
