"""Switching off an exercise that hurt: "This hurts" on a prompt, and `ergod hurts`.

Contract: `switch_off(env, exercise_id)` adds the exercise (every part of a
set) to `[exercises] disabled` in the user's config file through `config set`
(`ergod.config.edit.set_value`), so the change is validated like any edit,
keeps the file's comments, shows in `ergod config show --origin`, and a
running daemon is told to reload. `exercise_id` None means the exercise of
the last prompt shown (from the adherence store). It never raises for a user
problem: what went wrong is in `problem`, and the caller shows the red flags
either way (`ergod.exercises.safety`). `notice()` is the notification the
daemon shows after the button.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ergod.environment import Environment
from ergod.errors import ErgodError
from ergod.i18n import _

if TYPE_CHECKING:
    from ergod.config import LoadedConfig

KEY = "exercises.disabled"


@dataclass(frozen=True)
class SwitchOff:
    """What `switch_off` did."""

    exercise: str | None  # the id asked about (a set id for a set), if known
    names: tuple[str, ...]  # the exercises' names, for people
    switched_off: tuple[str, ...]  # ids added to [exercises] disabled now
    already_off: bool = False
    problem: str | None = None
    reloaded: str | None = None  # a running daemon's answer to the reload (config set's)

    @property
    def summary(self) -> str:
        """One paragraph for the terminal."""
        if self.problem is not None:
            return _("Nothing switched off: {problem}").format(problem=self.problem)
        names = ", ".join(self.names)
        if self.already_off:
            return _("{names}: already switched off; ergod does not offer it.").format(names=names)
        return _(
            "{names}: switched off ({key} in your config file now lists {ids}). "
            "To offer it again: edit that list, or `{undo}` to drop the whole list."
        ).format(
            names=names,
            key=KEY,
            ids=", ".join(self.switched_off),
            undo="ergod config unset exercises.disabled",
        )

    def notice(self) -> tuple[str, str]:
        """(title, body) for the notification after "This hurts"."""
        from ergod.exercises.safety import hurt_notice

        return hurt_notice(self.names if self.problem is None else ())


def switch_off(env: Environment, exercise_id: str | None, *, reload: bool = True) -> SwitchOff:
    """Add the exercise to `[exercises] disabled`; `reload` as `config set`'s (the
    daemon passes False: it reloads itself rather than ask its own socket)."""
    from ergod.config import load_config
    from ergod.config.edit import set_value
    from ergod.exercises.library import load_library

    try:
        loaded = load_config(env)
        settings = loaded.config.exercises
        library = load_library(settings.custom, settings.disabled)
        wanted = exercise_id.strip() if exercise_id else _last_shown(env, loaded)
        if wanted is None:
            return SwitchOff(
                None, (), (), problem=_("no exercise shown yet; name one: ergod hurts ID")
            )
        card = library.get(wanted, translate=True)
    except ErgodError as exc:
        return SwitchOff(exercise_id, (), (), problem=exc.message)
    parts = card.parts or (card,)
    names = tuple(p.name for p in parts)
    current = list(settings.disabled)
    new = tuple(p.id for p in parts if p.id not in current)
    if not new:
        return SwitchOff(card.id, names, (), already_off=True)
    try:
        result = set_value(env, KEY, json.dumps([*current, *new]), reload=reload)
    except ErgodError as exc:
        return SwitchOff(card.id, names, (), problem=exc.message)
    return SwitchOff(card.id, names, new, reloaded=result.reloaded)


def _last_shown(env: Environment, loaded: LoadedConfig) -> str | None:
    from ergod.store import MissingStoreError, open_reader

    try:
        with open_reader(loaded.config.store.db_path(env)) as reader:
            return reader.last_shown_exercise()
    except MissingStoreError:
        return None
