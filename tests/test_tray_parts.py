"""The tray's pure parts: the pictures (ergod/tray/icons.py) and the menu model
(ergod/tray/menu.py). Their D-Bus side is tests/test_tray.py."""

from __future__ import annotations

import pytest

from ergod.daemon.barview import State
from ergod.tray import icons, menu


@pytest.mark.parametrize("state", [s.value for s in State] + ["off"])
def test_every_state_has_a_picture_at_every_size(state: str) -> None:
    for width, height, data in icons.pixmaps(state):
        assert width == height and width in icons.SIZES
        assert len(data) == 4 * width * height
        assert data[:4] == b"\0\0\0\0"  # a transparent corner: a disc, not a square
        centre = 4 * (int(0.88 * height) * width + width // 2)  # below the mark, on the disc
        alpha, *rgb = data[centre : centre + 4]
        assert alpha == 255
        assert tuple(rgb) == icons.COLORS[state]


def test_the_states_look_different() -> None:
    pictures = {icons.draw(state, 16) for state in icons.COLORS}
    assert len(pictures) == len(icons.COLORS)


def test_the_menu_follows_the_glance() -> None:
    idle = menu.build(None, ())
    assert [item.id for item in idle.children] == list(range(1, 10))  # no Exercises submenu
    enabled = {item.choice.action for item in menu.walk(idle) if item.choice and item.enabled}
    assert enabled == {menu.PAUSE_SHORT, menu.PAUSE_HOUR, menu.PAUSE_TOMORROW, menu.SUMMARY}


def test_layout_depth_and_property_filter() -> None:
    root = menu.build(None, (("walk", "Walk"),))
    item_id, props, children = menu.layout(root, 1)
    assert (item_id, props) == (0, {"children-display": ("s", "submenu")})
    exercises = children[-1][1]
    assert exercises[2] == []  # depth 1 stops below the root's children
    _id, only_labels, deep = menu.layout(root, -1, ["label"])
    assert only_labels == {}
    assert deep[-1][1][2][0][1] == (menu.EXERCISE_BASE, {"label": ("s", "Walk")}, [])


def test_names_show_as_written_and_entries_keep_access_keys() -> None:
    assert menu.plain("desk_push_up") == "desk__push__up"
    labels = [item.label for item in menu.walk(menu.build(None, ())) if item.label]
    assert all(label.count("_") == 1 for label in labels)
