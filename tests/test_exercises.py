"""The exercise library: shipped cards, validation, rotation, card texts, `ergod exercises`.

The library is pure data and functions, so most tests call it directly; the
command is run as the installed `ergod` in subprocesses over a private config
tree, and the notification texts go through a real dunst.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import NotificationServer, require_tool

from ergod.config.schema import parse_value
from ergod.core.rules import Kind
from ergod.exercises.library import (
    DISCLAIMER,
    EYES,
    NOTIFICATION_BODY_MAX,
    PAIR_FOCUS,
    PAIR_SEPARATOR,
    RED_FLAGS,
    SAFETY,
    Exercise,
    ExerciseConfigError,
    Library,
    UnknownExerciseError,
    format_card,
    format_time,
    load_library,
    render_card,
    rotation,
    rotations,
)

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "ergod" / "data" / "exercises.toml"

# health.md's library: id -> (focus, seconds).
HEALTH_TABLE = {
    "eye_far_focus": ("eyes", 20),
    "eye_slow_blink": ("eyes", 15),
    "neck_chin_glide": ("neck", 30),
    "neck_side_bend": ("neck", 40),
    "shoulder_circles": ("shoulders", 20),
    "scap_squeeze": ("upper back", 30),
    "upper_back_w": ("upper back", 30),
    "chest_doorway": ("chest", 45),
    "chest_seated": ("chest", 30),
    "thoracic_chair_ext": ("thoracic spine", 45),
    "thoracic_twist": ("thoracic spine", 40),
    "wall_slide": ("upper back, shoulders", 45),
    "wall_pushup": ("chest, upper back", 45),
    "posture_reset": ("posture", 30),
    "walk_break": ("circulation", 180),
    "march_heels": ("legs", 60),
    "breath_relax": ("stress", 60),
}
WITH_CAVEAT = {
    "neck_chin_glide",
    "neck_side_bend",
    "chest_doorway",
    "thoracic_chair_ext",
    "thoracic_twist",
}


def custom(**fields: object) -> dict[str, object]:
    """A valid [[exercises.custom]] table, with `fields` changed (None removes one)."""
    table: dict[str, object] = {
        "id": "desk_pushup",
        "name": "Desk push-up",
        "focus": "chest",
        "seconds": 30,
        "steps": ["Hands on the desk edge.", "Lower your chest, push away. 8 times."],
        "kinds": ["stretch"],
    }
    for name, value in fields.items():
        if value is None:
            table.pop(name, None)
        else:
            table[name] = value
    return table


def all_cards(library: Library) -> list[Exercise]:
    ids = dict.fromkeys([*library.ids(), *(i for k in Kind for i in rotation(library, k))])
    return [library.get(i) for i in ids]


# --- the shipped library ---------------------------------------------------------


def test_shipped_library_holds_health_md_exercises() -> None:
    library = load_library()
    assert {e.id: (e.focus, e.seconds) for e in library.exercises} == HEALTH_TABLE
    assert {e.id for e in library.exercises if e.caveat} == WITH_CAVEAT
    assert library.disabled == frozenset()
    for exercise in library.exercises:
        assert exercise.name and exercise.steps and all(s.strip() for s in exercise.steps)
        assert exercise.kinds, exercise.id


def test_movement_offers_only_walking_or_standing_items() -> None:
    library = load_library()
    assert [e.id for e in library.for_kind(Kind.MOVEMENT)] == ["walk_break", "march_heels"]
    assert "walk_break" not in [e.id for e in library.for_kind(Kind.STRETCH)]


def test_shipped_entries_fit_the_users_config_schema() -> None:
    """What a user copies from config/exercises.toml is valid in [[exercises.custom]]."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    tables = tomllib.loads(SHIPPED.read_text())["exercise"]
    parsed = parse_value("exercises.custom", tables)
    assert [dict(c) for c in parsed] == tables
    # And the other way: what the config layer passes on is accepted here as-is.
    renamed = [dict(c, id=f"my_{c['id']}") for c in parsed]
    library = load_library(renamed)
    assert len(library.exercises) == 2 * len(tables)


def test_config_symlink_points_at_the_shipped_file() -> None:
    link = REPO / "config" / "exercises.toml"
    assert link.is_symlink()
    assert link.resolve() == SHIPPED.resolve()


def test_docs_table_matches_the_library() -> None:
    text = (REPO / "docs" / "exercises.md").read_text()
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| ")]
    documented = [tuple(cell.strip() for cell in row) for row in rows[1:]]
    expected = [
        (e.id, e.focus, format_time(e.seconds), ", ".join(sorted(k.value for k in e.kinds)))
        for e in load_library().exercises
    ]
    assert documented == expected


def test_default_rotations() -> None:
    library = load_library()
    stretch = rotation(library, Kind.STRETCH)
    assert stretch[:4] == ("scap_squeeze", "eye_far_focus", "neck_chin_glide", "eye_slow_blink")
    eyes = [i for i in stretch if library.get(i).focus == "eyes"]
    assert stretch[1::2] == tuple(eyes)  # eyes every other prompt
    assert {e.id for e in library.for_kind(Kind.STRETCH)} == set(stretch)

    movement = rotation(library, Kind.MOVEMENT)
    assert movement[0::2] == ("walk_break",) * (len(movement) // 2)
    partners = [i.split(PAIR_SEPARATOR) for i in movement[1::2]]
    assert {first for first, _ in partners} == {"march_heels"}
    assert {second for _, second in partners} == {
        "scap_squeeze",
        "upper_back_w",
        "chest_seated",
        "chest_doorway",
        "wall_slide",
        "wall_pushup",
    }
    assert rotations(library) == {Kind.STRETCH: stretch, Kind.MOVEMENT: movement}


def test_pairing_is_one_card_with_both_sets_of_steps() -> None:
    library = load_library()
    pair = library.get("march_heels+chest_doorway")
    march, door = library.get("march_heels"), library.get("chest_doorway")
    assert pair.id == "march_heels+chest_doorway"
    assert pair.steps == march.steps + door.steps
    assert pair.seconds == march.seconds + door.seconds
    assert pair.caveat == door.caveat
    assert pair.kinds == frozenset({Kind.MOVEMENT})


# --- card texts --------------------------------------------------------------------


def test_every_card_fits_a_notification_whole_and_ends_safely() -> None:
    library = load_library()
    for card in all_cards(library):
        title, body = render_card(card)
        assert card.name in title
        assert len(body) <= NOTIFICATION_BODY_MAX, card.id
        assert body.endswith(SAFETY), card.id
        assert "ergod exercises show" not in body, f"{card.id} lost steps"
        for number, step in enumerate(card.steps, start=1):
            assert f"{number}. {step}" in body
        if card.caveat:
            assert card.caveat in body
        full = format_card(card)
        assert full.endswith(SAFETY)
        assert f"{len(card.steps)}. {card.steps[-1]}" in full


def test_long_custom_card_keeps_caveat_and_safety() -> None:
    steps = [f"Step number {n} says quite a lot about what to do next here." for n in range(9)]
    library = load_library([custom(steps=steps, caveat="Not with a sore wrist.")])
    title, body = render_card(library.get("desk_pushup"))
    assert title == "Desk push-up (30 s)"
    assert len(body) <= NOTIFICATION_BODY_MAX
    assert "1. Step number 0" in body
    assert "9. Step number 8" not in body
    assert "ergod exercises show desk_pushup" in body
    assert body.endswith("Careful: Not with a sore wrist.\n" + SAFETY)


def test_disclaimer_and_red_flags_are_plain_text() -> None:
    assert "not a medical device" in DISCLAIMER and "medical advice" in DISCLAIMER
    for flag in ("numbness", "bladder", "fall", "week", "fever", "arm", "breathe"):
        assert flag in RED_FLAGS


# --- validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (custom(id="Desk-Pushup"), "exercise 'Desk-Pushup': id must be lowercase"),
        (custom(id="a+b"), "exercise 'a+b': id must be lowercase"),
        (custom(seconds=0), "exercise 'desk_pushup': seconds must be a whole number"),
        (custom(seconds=True), "exercise 'desk_pushup': seconds must be"),
        (custom(seconds="30s"), "exercise 'desk_pushup': seconds must be"),
        (custom(steps=[]), "exercise 'desk_pushup': steps must be a non-empty list"),
        (custom(steps=["ok", " "]), "exercise 'desk_pushup': steps must be"),
        (custom(kinds=["walk"]), "exercise 'desk_pushup': kinds has 'walk'"),
        (custom(kinds=[]), "exercise 'desk_pushup': kinds must list at least one"),
        (custom(name=""), "exercise 'desk_pushup': name must be non-empty text"),
        (custom(focus=None), "exercise 'desk_pushup': focus is missing"),
        (custom(secs=30), "exercise 'desk_pushup': secs is not an exercise field"),
        (custom(id=None), "exercises.custom #1: id is missing"),
        (custom(id="scap_squeeze"), "exercise 'scap_squeeze': id is a built-in exercise"),
        ("not a table", "exercises.custom #1: expected a table"),
    ],
)
def test_bad_custom_exercise_names_id_and_field(table: object, expected: str) -> None:
    with pytest.raises(ExerciseConfigError) as caught:
        load_library([table])  # type: ignore[list-item]
    assert any(p.startswith(expected) for p in caught.value.problems), caught.value.problems
    assert caught.value.exit_code == 2


def test_unknown_field_suggests_the_right_one() -> None:
    with pytest.raises(ExerciseConfigError, match=r"did you mean 'seconds'\?"):
        load_library([custom(secondss=30)])


def test_every_problem_is_reported_at_once() -> None:
    tables = [
        custom(),
        custom(name="Again"),
        custom(id="bad_time", seconds=-1),
        custom(id="other", steps="x"),
    ]
    with pytest.raises(ExerciseConfigError) as caught:
        load_library(tables, disabled=["nek"])
    problems = caught.value.problems
    assert "exercise 'desk_pushup': id is used twice" in problems
    assert any(p.startswith("exercise 'bad_time': seconds") for p in problems)
    assert any(p.startswith("exercise 'other': steps") for p in problems)
    assert any("'nek'" in p and "did you mean 'neck'" in p for p in problems)


def test_disable_by_id_and_by_focus_area() -> None:
    library = load_library(disabled=["eye_far_focus", "Neck", "shoulders"])
    off = {"eye_far_focus", "neck_chin_glide", "neck_side_bend", "shoulder_circles", "wall_slide"}
    assert library.disabled == off
    stretch = rotation(library, Kind.STRETCH)
    assert not off & set(stretch)
    assert "eye_slow_blink" in stretch
    assert not library.is_enabled("eye_far_focus")
    assert not library.is_enabled("march_heels+wall_slide")
    assert library.get("eye_far_focus").id == "eye_far_focus"  # still shown on request


def test_custom_exercises_join_the_rotation() -> None:
    library = load_library(
        [
            custom(),
            custom(id="stairs", focus="legs", seconds=90, kinds=["movement"]),
            custom(id="palming", focus="eyes", seconds=20),
        ]
    )
    stretch = rotation(library, Kind.STRETCH)
    assert {"desk_pushup", "palming"} <= set(stretch)
    movement = rotation(library, Kind.MOVEMENT)
    assert "walk_break" in movement
    assert any(i.startswith("stairs+") for i in movement)


def test_unknown_id_suggests_a_close_one() -> None:
    library = load_library()
    with pytest.raises(UnknownExerciseError, match=r"did you mean 'scap_squeeze'\?"):
        library.get("scap_squeez")
    for bad in ("march_heels+nope", "a+b+c", ""):
        with pytest.raises(UnknownExerciseError):
            library.get(bad)


# --- rotation, for any library -----------------------------------------------------

_BUILTIN = load_library()
_CHOICES = sorted({*_BUILTIN.ids(), *(a for e in _BUILTIN.exercises for a in e.areas)})

custom_tables = st.lists(
    st.builds(
        lambda n, focus, seconds, kinds: custom(
            id=f"mine_{n}", focus=focus, seconds=seconds, kinds=kinds
        ),
        st.integers(0, 30),
        st.sampled_from(["eyes", "neck", "chest", "upper back", "legs", "wrists, chest"]),
        st.integers(1, 300),
        st.sampled_from([["stretch"], ["movement"], ["stretch", "movement"]]),
    ),
    max_size=6,
    unique_by=lambda t: t["id"],
)


@settings(max_examples=300, deadline=None)
@given(disabled=st.lists(st.sampled_from(_CHOICES), unique=True), mine=custom_tables)
def test_rotation_properties(disabled: list[str], mine: list[dict[str, Any]]) -> None:
    library = load_library(mine, disabled)
    for kind in Kind:
        order = rotation(library, kind)
        offered = {e.id for e in library.for_kind(kind)}
        if len(order) > 1:
            # Cyclic: the engine wraps around, so the last and first are neighbours too.
            assert all(a != b for a, b in zip(order, order[1:] + order[:1], strict=True))
        firsts = {i.split(PAIR_SEPARATOR)[0] for i in order}
        assert firsts == offered  # every enabled item of the kind, and only those
        for exercise_id in order:
            card = library.get(exercise_id)
            assert library.is_enabled(exercise_id)
            assert kind in card.kinds
            if PAIR_SEPARATOR in exercise_id:
                assert kind is Kind.MOVEMENT
                partner = library.get(exercise_id.split(PAIR_SEPARATOR)[1])
                assert PAIR_FOCUS & set(partner.areas)
                assert Kind.MOVEMENT not in partner.kinds
    stretch = rotation(library, Kind.STRETCH)
    eyes = [EYES in library.get(i).areas for i in stretch]
    if any(eyes) and not all(eyes):
        assert all(a != b for a, b in zip(eyes, eyes[1:] + eyes[:1], strict=True))


# --- the installed command ---------------------------------------------------------


def _ergod(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "ergod"
    if not exe.exists():
        pytest.fail(f"no `ergod` entry point next to {sys.executable}: run `pip install -e .`")
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "ERGOD_"))
    }
    env.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        ERGOD_SYSTEM_DIR=str(tmp_path / "etc"),
    )
    return subprocess.run(
        [str(exe), *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _write_user_config(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config" / "ergod" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cli_lists_every_exercise_then_the_disclaimer(tmp_path: Path) -> None:
    result = _ergod(tmp_path, "exercises")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "FOCUS", "TIME", "KINDS"]
    listed = [line.split()[0] for line in lines[1 : 1 + len(HEALTH_TABLE)]]
    assert listed == list(_BUILTIN.ids())
    assert "disabled" not in result.stdout
    flat = " ".join(result.stdout.split())
    assert flat.endswith(f"{DISCLAIMER} {RED_FLAGS}")


def test_cli_json_for_one_kind(tmp_path: Path) -> None:
    result = _ergod(tmp_path, "exercises", "--kind", "movement", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [e["id"] for e in data["exercises"]] == ["walk_break", "march_heels"]
    assert data["exercises"][0] == {
        "id": "walk_break",
        "name": _BUILTIN.get("walk_break").name,
        "focus": "circulation",
        "seconds": 180,
        "steps": list(_BUILTIN.get("walk_break").steps),
        "caveat": None,
        "kinds": ["movement"],
        "enabled": True,
    }
    assert data["rotation"] == {"movement": list(rotation(_BUILTIN, Kind.MOVEMENT))}
    assert data["disclaimer"] == DISCLAIMER and data["red_flags"] == RED_FLAGS


def test_cli_show_prints_one_card(tmp_path: Path) -> None:
    result = _ergod(tmp_path, "exercises", "show", "thoracic_chair_ext")
    assert result.returncode == 0, result.stderr
    assert result.stdout == format_card(_BUILTIN.get("thoracic_chair_ext")) + "\n"
    assert "  3. " in result.stdout and "Careful: " in result.stdout
    paired = _ergod(tmp_path, "exercises", "--json", "show", "march_heels+scap_squeeze")
    assert paired.returncode == 0, paired.stderr
    assert json.loads(paired.stdout)["steps"] == list(
        _BUILTIN.get("march_heels+scap_squeeze").steps
    )


def test_cli_unknown_id_exits_2_with_a_suggestion(tmp_path: Path) -> None:
    result = _ergod(tmp_path, "exercises", "show", "eye_far_focs")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "ergod: no exercise 'eye_far_focs' (did you mean 'eye_far_focus'?)\n"


def test_cli_follows_the_users_exercise_config(tmp_path: Path) -> None:
    _write_user_config(
        tmp_path,
        '[exercises]\ndisabled = ["eyes"]\n\n'
        "[[exercises.custom]]\n"
        'id = "desk_pushup"\nname = "Desk push-up"\nfocus = "chest"\nseconds = 30\n'
        'steps = ["Hands on the desk edge.", "Push away, 8 times."]\n',
    )
    result = _ergod(tmp_path, "exercises", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    enabled = {e["id"]: e["enabled"] for e in data["exercises"]}
    assert enabled["desk_pushup"] is True
    assert enabled["eye_far_focus"] is False and enabled["eye_slow_blink"] is False
    assert "desk_pushup" in data["rotation"]["stretch"]
    assert not {"eye_far_focus", "eye_slow_blink"} & set(data["rotation"]["stretch"])
    text = _ergod(tmp_path, "exercises", "--kind", "stretch")
    marked = [line.split()[0] for line in text.stdout.splitlines() if line.endswith("disabled")]
    assert marked == ["eye_far_focus", "eye_slow_blink"]


def test_cli_rejects_a_bad_custom_exercise(tmp_path: Path) -> None:
    extra = tmp_path / "extra.toml"
    extra.write_text(
        "[[exercises.custom]]\n"
        'id = "scap_squeeze"\nname = "Mine"\nfocus = "upper back"\nseconds = 30\n'
        'steps = ["Squeeze."]\n'
    )
    result = _ergod(tmp_path, "exercises", "--config", str(extra))
    assert result.returncode == 2
    assert "exercise 'scap_squeeze': id is a built-in exercise" in result.stderr
    assert "Traceback" not in result.stderr


# --- through a real notification server ---------------------------------------------


def test_cards_arrive_whole_at_a_notification_server(
    shared_notification_server: NotificationServer,
) -> None:
    notify_send = require_tool("notify-send")
    cards: Mapping[str, tuple[str, str]] = {c.id: render_card(c) for c in all_cards(_BUILTIN)}
    for title, body in cards.values():
        subprocess.run([notify_send, "--app-name=ergod", title, body], check=True, timeout=30)
    received = shared_notification_server.wait_for(lambda h: len(h) >= len(cards))
    assert [(n["summary"], n["body"]) for n in received] == list(cards.values())
