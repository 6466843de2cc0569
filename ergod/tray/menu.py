"""The tray menu as values, and its com.canonical.dbusmenu wire form.

`build(glance, exercises)` gives the menu for a glance, in the active
language (the daemon's: `[notify] language` or its environment): pause 30 min / 1 h /
until tomorrow, resume (only while paused), snooze and skip (only while a
break is open), this week's summary, and an Exercises submenu with one item
per exercise. Labels carry access keys the dbusmenu way ("_Pause 30 min":
Alt+P or P in the open menu, where the host supports them); exercise names
are escaped so they show as written. Ids are fixed per entry (exercises from `EXERCISE_BASE` on), so
a host's click still means the same entry after the menu changed.

`layout(item, depth)` is the `(ia{sv}av)` structure of `GetLayout`;
`properties(item)` an item's `a{sv}`. The host sends `Event(id, "clicked",
...)`; `find(root, id).choice` says what it asked for. Pure: no bus here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ergod.daemon.barview import Glance
from ergod.i18n import _

PAUSE_SHORT = "pause-30m"
PAUSE_HOUR = "pause-1h"
PAUSE_TOMORROW = "pause-tomorrow"
RESUME = "resume"
SNOOZE = "snooze"
SKIP = "skip"
SUMMARY = "summary"
EXERCISE = "exercise"

PAUSE_SECONDS = {PAUSE_SHORT: 1800.0, PAUSE_HOUR: 3600.0}
EXERCISE_BASE = 100
ITEM_SIGNATURE = "(ia{sv}av)"


@dataclass(frozen=True)
class Choice:
    """What a click asks for: an action name and, for an exercise, its id."""

    action: str
    exercise: str = ""


@dataclass(frozen=True)
class Item:
    """One menu entry; `children` make it a submenu."""

    id: int
    label: str = ""
    enabled: bool = True
    separator: bool = False
    choice: Choice | None = None
    children: tuple[Item, ...] = ()


def _entry(id_: int, label: str, action: str, enabled: bool = True) -> Item:
    return Item(id_, label, enabled=enabled, choice=Choice(action))


def build(glance: Glance | None, exercises: Sequence[tuple[str, str]]) -> Item:
    """The whole menu (root id 0) for `glance`; `exercises` are (id, name) pairs."""
    paused = glance is not None and glance.paused
    open_break = glance is not None and glance.open_kind is not None
    # Translators: "_" marks the access key (the letter after it); keep one per label.
    items = [
        _entry(1, _("_Pause 30 min"), PAUSE_SHORT),
        _entry(2, _("Pause _1 h"), PAUSE_HOUR),
        _entry(3, _("Pause until _tomorrow"), PAUSE_TOMORROW),
        _entry(4, _("_Resume"), RESUME, enabled=paused),
        Item(5, separator=True),
        _entry(6, _("_Snooze"), SNOOZE, enabled=open_break),
        _entry(7, _("S_kip"), SKIP, enabled=open_break),
        Item(8, separator=True),
        _entry(9, _("This _week's summary"), SUMMARY),
    ]
    cards = tuple(
        Item(EXERCISE_BASE + n, plain(name), choice=Choice(EXERCISE, ident))
        for n, (ident, name) in enumerate(exercises)
    )
    if cards:
        items.append(Item(10, _("_Exercises"), children=cards))
    return Item(0, children=tuple(items))


def plain(text: str) -> str:
    """A label shown as written: dbusmenu reads "_x" as the access key x."""
    return text.replace("_", "__")


def walk(item: Item) -> Iterator[Item]:
    yield item
    for child in item.children:
        yield from walk(child)


def find(root: Item, id_: int) -> Item | None:
    return next((item for item in walk(root) if item.id == id_), None)


def properties(item: Item, names: Sequence[str] = ()) -> dict[str, tuple[str, Any]]:
    """The item's dbusmenu properties (only `names` if given), defaults left out."""
    props: dict[str, tuple[str, Any]] = {}
    if item.separator:
        props["type"] = ("s", "separator")
    elif item.label:
        props["label"] = ("s", item.label)
    if not item.enabled:
        props["enabled"] = ("b", False)
    if item.children:
        props["children-display"] = ("s", "submenu")
    if names:
        props = {name: value for name, value in props.items() if name in names}
    return props


def layout(
    item: Item, depth: int, names: Sequence[str] = ()
) -> tuple[int, dict[str, Any], list[Any]]:
    """`(ia{sv}av)` for `item` and its children down to `depth` (-1: all)."""
    children: list[Any] = []
    if depth != 0:
        children = [
            (ITEM_SIGNATURE, layout(child, depth - 1 if depth > 0 else -1, names))
            for child in item.children
        ]
    return (item.id, properties(item, names), children)
