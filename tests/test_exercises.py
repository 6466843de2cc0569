"""The exercise library: shipped cards, validation, rotation, card texts, `ergod exercises`.

The library is pure data and functions, so most tests call it directly; the
command is run as the installed `ergod` in subprocesses over a private config
tree, and the notification texts go through a real dunst.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from servers import NotificationServer, require_tool

from ergod.config.schema import KEYS
from ergod.core.rules import Kind
from ergod.durations import human_duration
from ergod.exercises.library import (
    DISCLAIMER,
    EYES,
    NOTIFICATION_BODY_MAX,
    RED_FLAGS,
    SAFETY,
    SET_SEPARATOR,
    TITLE_MAX,
    Exercise,
    ExerciseConfigError,
    Library,
    UnknownExerciseError,
    cards,
    duration_warnings,
    format_card,
    load_library,
    render_card,
    rotation,
    rotations,
)
from ergod.exercises.safety import POINTER
from ergod.notify.prompt import prompt_for, prompt_message

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "ergod" / "data" / "exercises.toml"

# health.md's library: id -> (focus, seconds).
HEALTH_TABLE = {
    "eye_far_focus": ("eyes", 20),
    "eye_slow_blink": ("eyes", 20),
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
    "wall_slide",
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


DURATIONS = {Kind.STRETCH: 20.0, Kind.MOVEMENT: 180.0}  # the shipped defaults


def all_cards(library: Library) -> list[tuple[Kind | None, Exercise]]:
    """Every single card, and every card (sets included) each kind offers."""
    offered = [(k, c) for k in Kind for c in cards(library, k, DURATIONS[k])]
    return [(None, e) for e in library.exercises] + offered


# --- the shipped library ---------------------------------------------------------


def test_shipped_library_holds_health_md_exercises() -> None:
    library = load_library()
    assert {e.id: (e.focus, e.seconds) for e in library.exercises} == HEALTH_TABLE
    assert {e.id for e in library.exercises if e.caveat} == WITH_CAVEAT
    assert library.disabled == frozenset()
    for exercise in library.exercises:
        assert exercise.name and exercise.steps and all(s.strip() for s in exercise.steps)
        assert exercise.kinds, exercise.id


STANDING = {"posture_reset", "wall_slide", "wall_pushup", "chest_doorway"}


def test_movement_offers_only_walking_or_standing_items() -> None:
    library = load_library()
    movers = {e.id for e in library.for_kind(Kind.MOVEMENT)}
    assert movers == {"walk_break", "march_heels"} | STANDING
    assert "walk_break" not in [e.id for e in library.for_kind(Kind.STRETCH)]
    for card in cards(library, Kind.MOVEMENT, 180.0):
        for part in card.parts or (card,):
            assert part.id in movers
            # Done standing or walking: no movement card ends seated.
            assert not any(re.search(r"\bsit\b", step.lower()) for step in part.steps), part


def test_every_card_offered_lasts_its_kinds_duration() -> None:
    library = load_library()
    for kind in Kind:
        offered = cards(library, kind, DURATIONS[kind])
        assert offered, kind
        for card in offered:
            assert card.seconds >= DURATIONS[kind], (kind, card.id, card.seconds)
    assert duration_warnings(library, DURATIONS) == []


def test_shipped_entries_fit_the_users_config_schema() -> None:
    """What a user copies from config/exercises.toml is valid in [[exercises.custom]]."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib

    tables = tomllib.loads(SHIPPED.read_text())["exercise"]
    parsed = KEYS["exercises.custom"].parse(tables)
    assert [dict(c) for c in parsed] == tables
    # And the other way: what the config layer passes on is accepted here as-is.
    renamed = [dict(c, id=f"my_{c['id']}") for c in parsed]
    library = load_library(renamed)
    assert len(library.exercises) == 2 * len(tables)


# Field values a user might write: good ones and each way of getting one wrong.
FIELD_VALUES: dict[str, list[object]] = {
    "id": ["my_card", "My-Card", "", 7],
    "name": ["Card", "", "  ", ["Card"]],
    "focus": ["neck", "", 3],
    "seconds": [30, 0, -5, True, "30", 1.5],
    "steps": [["Do it."], [], ["ok", " "], "Do it.", [1]],
    "caveat": ["Gently.", ""],
    "kinds": [["stretch"], ["movement", "stretch"], [], ["walk"], "stretch"],
    "colour": ["red"],
}


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={name: st.sampled_from(values) for name, values in FIELD_VALUES.items()},
    )
)
def test_config_and_library_judge_a_table_alike(table: dict[str, object]) -> None:
    """One validator: `config check` refuses a table exactly when the library would."""
    try:
        KEYS["exercises.custom"].parse([table])
        config_ok = True
    except ValueError:
        config_ok = False
    try:
        load_library([table])
        library_ok = True
    except ExerciseConfigError:
        library_ok = False
    assert config_ok == library_ok, table


def test_config_symlink_points_at_the_shipped_file() -> None:
    link = REPO / "config" / "exercises.toml"
    assert link.is_symlink()
    assert link.resolve() == SHIPPED.resolve()


def test_docs_table_matches_the_library() -> None:
    text = (REPO / "docs" / "exercises.md").read_text()
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| ")]
    documented = [tuple(cell.strip() for cell in row) for row in rows[1:]]
    expected = [
        (e.id, e.focus, human_duration(e.seconds), ", ".join(sorted(k.value for k in e.kinds)))
        for e in load_library().exercises
    ]
    assert documented == expected


def test_default_rotations() -> None:
    library = load_library()
    stretch = rotation(library, Kind.STRETCH, 20.0)
    assert stretch[:4] == ("scap_squeeze", "eye_far_focus", "neck_chin_glide", "eye_slow_blink")
    eyes = [i for i in stretch if library.get(i).focus == "eyes"]
    assert stretch[1::2] == tuple(eyes)  # eyes every other prompt
    assert {e.id for e in library.for_kind(Kind.STRETCH)} == set(stretch)

    movement = rotation(library, Kind.MOVEMENT, 180.0)
    assert movement[0::2] == ("walk_break",) * (len(movement) // 2)
    sets = [i.split(SET_SEPARATOR) for i in movement[1::2]]
    assert {parts[0] for parts in sets} == {"march_heels"}
    assert {part for parts in sets for part in parts[1:]} == STANDING  # each comes round
    for parts in sets:
        # At most one caveat a set, where the library allows: short caveats fit a banner.
        assert sum(1 for p in parts if library.get(p).caveat) <= 1, parts
    assert rotations(library, DURATIONS) == {Kind.STRETCH: stretch, Kind.MOVEMENT: movement}


def test_a_set_is_one_card_with_its_parts_steps() -> None:
    library = load_library()
    card = library.get("march_heels+wall_pushup+chest_doorway")
    parts = [library.get(i) for i in ("march_heels", "wall_pushup", "chest_doorway")]
    assert card.parts == tuple(parts)
    assert card.steps == tuple(s for p in parts for s in p.steps)
    assert card.seconds == sum(p.seconds for p in parts)
    assert card.caveat == "Doorway stretch: not if a shoulder tends to dislocate."
    assert card.kinds == parts[0].kinds


def test_a_longer_duration_makes_longer_sets() -> None:
    library = load_library()
    stretch = cards(library, Kind.STRETCH, 45.0)
    assert all(c.seconds >= 45 for c in stretch)
    assert any(c.parts for c in stretch)  # 20-s eye items joined with the next
    movement = cards(library, Kind.MOVEMENT, 300.0)
    assert all(c.seconds >= 300 for c in movement)


# --- card texts --------------------------------------------------------------------


SITTING = [None, 0.0, 1799.0, 2 * 3600.0 + 59 * 60, 10 * 3600.0 + 59 * 60]


def test_every_card_and_set_fits_250_characters_on_every_path() -> None:
    """Title line, sitting time and card: within 250 characters, caveat right after the title."""
    library = load_library()
    for kind_offered, card in all_cards(library):
        for kind in [kind_offered] if kind_offered else list(Kind):
            for sitting in SITTING:
                for first in (False, True):
                    message = prompt_for(kind.value, card, sitting, 300.0, 30.0, True, first=first)
                    lines = message.body.split("\n")
                    assert len(message.body) <= NOTIFICATION_BODY_MAX, (card.id, sitting, first)
                    assert len(message.title) <= TITLE_MAX
                    start = 1 if kind is Kind.MOVEMENT and sitting else 0
                    named = card.name if not card.parts else ("Standing set", "Set")
                    assert lines[start].startswith(named)
                    if card.caveat:
                        assert lines[start + 1].startswith("Careful: "), lines
                    assert (lines[-2:] if first else lines[-1:]) == (
                        [SAFETY, POINTER] if first else [SAFETY]
                    )
                    if not first and card.parts:  # every part named on an ordinary prompt
                        for part in card.parts:
                            assert part.name.lower() in message.body.lower(), (card.id, part)
            # The older path, card text first and the sitting line added after.
            title, body = render_card(card)
            old = prompt_message(kind.value, title, body, SITTING[-1], 300.0, 30.0, True)
            assert len(old.body) <= NOTIFICATION_BODY_MAX, card.id
            assert old.body.endswith(SAFETY)
        full = format_card(card)
        assert full.endswith(SAFETY)
        if card.caveat:
            assert full.split("\n")[1] == f"Careful: {card.caveat}"


def test_shipped_cards_show_every_step_in_a_prompt_but_one() -> None:
    """Only the backrest arch, whose caveat says where not to do it, points to its steps."""
    library = load_library()
    cut = []
    for card in library.exercises:
        kind = Kind.STRETCH if Kind.STRETCH in card.kinds else Kind.MOVEMENT
        body = prompt_for(kind.value, card, SITTING[-1], 300.0, 30.0, True).body
        if "ergod exercises show" in body:
            cut.append(card.id)
        else:
            assert all(f"{n}. {step}" in body for n, step in enumerate(card.steps, start=1))
    assert cut == ["thoracic_chair_ext"]


def test_long_custom_card_keeps_caveat_and_safety() -> None:
    steps = [f"Step number {n} says quite a lot about what to do next here." for n in range(9)]
    library = load_library([custom(steps=steps, caveat="Not with a sore wrist.")])
    title, body = render_card(library.get("desk_pushup"))
    assert title == "Desk push-up (30 s)"
    assert len(title) + 1 + len(body) <= NOTIFICATION_BODY_MAX
    assert body.startswith("Careful: Not with a sore wrist.\n1. Step number 0")
    assert "9. Step number 8" not in body
    assert "ergod exercises show desk_pushup" in body
    assert body.endswith(SAFETY)


def test_even_an_absurd_custom_card_fits() -> None:
    library = load_library(
        [custom(name="N" * 300, caveat="C" * 400, steps=["S" * 500], kinds=["movement"])]
    )
    message = prompt_for("movement", library.get("desk_pushup"), 9e5, 300.0, 30.0, True, first=True)
    assert len(message.body) <= NOTIFICATION_BODY_MAX
    assert message.body.endswith(f"{SAFETY}\n{POINTER}")


def test_disclaimer_and_red_flags_are_plain_text() -> None:
    assert "not a medical device" in DISCLAIMER and "medical advice" in DISCLAIMER
    for flag in ("numbness", "bladder", "fall", "week", "fever", "arm", "breathe", "spasms"):
        assert flag in RED_FLAGS
    assert RED_FLAGS.index("urgent care") < RED_FLAGS.index("physiotherapist")


# --- validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (custom(id="Desk-Pushup"), "exercise 'Desk-Pushup': id: expected lowercase letters"),
        (custom(id="a+b"), "exercise 'a+b': id: expected lowercase letters"),
        (custom(seconds=0), "exercise 'desk_pushup': seconds: expected a whole number"),
        (custom(seconds=True), "exercise 'desk_pushup': seconds: expected a whole number"),
        (custom(seconds="30s"), "exercise 'desk_pushup': seconds: expected a whole number"),
        (custom(steps=[]), "exercise 'desk_pushup': steps: expected a non-empty list"),
        (custom(steps=["ok", " "]), "exercise 'desk_pushup': steps: expected a non-empty list"),
        (custom(kinds=["walk"]), "exercise 'desk_pushup': kinds: expected a non-empty list of"),
        (custom(kinds=[]), "exercise 'desk_pushup': kinds: expected a non-empty list of"),
        (custom(name=""), "exercise 'desk_pushup': name: expected non-empty text, found ''"),
        (custom(focus=None), "exercise 'desk_pushup': expected a field \"focus\", found none"),
        (custom(secs=30), "exercise 'desk_pushup': secs: expected one of the fields id, name"),
        (custom(id=None), 'table #1: expected a field "id", found none'),
        (custom(id="scap_squeeze"), "exercise 'scap_squeeze': id is a built-in exercise"),
        ("not a table", "table #1: expected a table with id, name, focus, seconds, steps"),
    ],
)
def test_bad_custom_exercise_names_id_and_field(table: object, expected: str) -> None:
    with pytest.raises(ExerciseConfigError) as caught:
        load_library([table])  # type: ignore[list-item]
    problems = caught.value.problems
    assert any(p.text.startswith(expected) for p in problems), problems
    assert {p.key for p in problems} == {"exercises.custom"}
    assert caught.value.exit_code == 2


def test_unknown_field_suggests_the_right_one() -> None:
    with pytest.raises(ExerciseConfigError, match=r'did you mean "seconds"\?'):
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
    problems = [str(p) for p in caught.value.problems]
    assert "exercises.custom: exercise 'desk_pushup': id is used twice" in problems
    assert any(p.startswith("exercises.custom: exercise 'bad_time': seconds") for p in problems)
    assert any(p.startswith("exercises.custom: exercise 'other': steps") for p in problems)
    assert any(
        p.startswith("exercises.disabled: 'nek'") and 'did you mean "neck"' in p for p in problems
    )


def test_disable_by_id_and_by_focus_area() -> None:
    library = load_library(disabled=["eye_far_focus", "Neck", "shoulders"])
    off = {"eye_far_focus", "neck_chin_glide", "neck_side_bend", "shoulder_circles", "wall_slide"}
    assert library.disabled == off
    stretch = rotation(library, Kind.STRETCH, 20.0)
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
    stretch = rotation(library, Kind.STRETCH, 20.0)
    assert {"desk_pushup", "palming"} <= set(stretch)
    movement = rotation(library, Kind.MOVEMENT, 180.0)
    assert "walk_break" in movement
    assert any(i.startswith("stairs+") for i in movement)
    assert all(library.get(i).seconds >= 180 for i in movement)


def test_unknown_id_suggests_a_close_one() -> None:
    library = load_library()
    with pytest.raises(UnknownExerciseError, match=r'did you mean "scap_squeeze"\?'):
        library.get("scap_squeez")
    for bad in ("march_heels+nope", "a+b+c", "", "wall_slide+wall_slide"):
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


@pytest.mark.slow  # hundreds of Hypothesis examples: the full suite, not the fast tier
@settings(max_examples=300, deadline=None)
@given(
    disabled=st.lists(st.sampled_from(_CHOICES), unique=True),
    mine=custom_tables,
    stretch_s=st.sampled_from([5.0, 20.0, 45.0, 90.0]),
    movement_s=st.sampled_from([60.0, 180.0, 300.0, 900.0]),
)
def test_rotation_properties(
    disabled: list[str], mine: list[dict[str, Any]], stretch_s: float, movement_s: float
) -> None:
    library = load_library(mine, disabled)
    durations = {Kind.STRETCH: stretch_s, Kind.MOVEMENT: movement_s}
    short = {(kind, card.id) for kind, card in short_cards_of(library, durations)}
    for kind in Kind:
        order = rotation(library, kind, durations[kind])
        offered = {e.id for e in library.for_kind(kind)}
        used = {part for card_id in order for part in card_id.split(SET_SEPARATOR)}
        assert used <= offered  # only enabled items of the kind
        if kind is Kind.STRETCH:
            assert used == offered  # every stretch item comes round
        for card_id in order:
            card = library.get(card_id)
            assert library.is_enabled(card_id)
            parts = card.parts or (card,)
            assert all(kind in p.kinds for p in parts)
            assert len({p.id for p in parts}) == len(parts)  # no item twice in one card
            # Long enough, or reported as a kind no set can fill.
            assert card.seconds >= durations[kind] or (kind, card_id) in short
            if kind is Kind.MOVEMENT:
                assert all(p.standing for p in parts[1:])  # the rest of a set is standing
    stretch = list(rotation(library, Kind.STRETCH, 20.0))
    if len(stretch) > 1:
        assert all(a != b for a, b in zip(stretch, stretch[1:] + stretch[:1], strict=True))
    eyes = [EYES in library.get(i).areas for i in stretch]
    # Eyes take every other turn, where no item had to join a set.
    if any(eyes) and not all(eyes) and not any(SET_SEPARATOR in i for i in stretch):
        assert all(a != b for a, b in zip(eyes, eyes[1:] + eyes[:1], strict=True))


def short_cards_of(
    library: Library, durations: Mapping[Kind, float]
) -> list[tuple[Kind, Exercise]]:
    from ergod.exercises.rotation import short_cards

    return short_cards(library, durations)


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
    assert [e["id"] for e in data["exercises"]] == [
        "posture_reset",
        "walk_break",
        "march_heels",
        "wall_slide",
        "wall_pushup",
        "chest_doorway",
    ]
    assert data["exercises"][1] == {
        "id": "walk_break",
        "name": _BUILTIN.get("walk_break").name,
        "focus": "circulation",
        "seconds": 180,
        "steps": list(_BUILTIN.get("walk_break").steps),
        "caveat": None,
        "kinds": ["movement"],
        "enabled": True,
    }
    assert data["rotation"] == {"movement": list(rotation(_BUILTIN, Kind.MOVEMENT, 180.0))}
    assert data["disclaimer"] == DISCLAIMER and data["red_flags"] == RED_FLAGS


def test_cli_json_lists_every_card_at_least_its_kinds_duration(tmp_path: Path) -> None:
    _write_user_config(tmp_path, '[breaks.stretch]\nduration = "40s"\n')
    result = _ergod(tmp_path, "exercises", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["durations"] == {"stretch": 40.0, "movement": 180.0}
    for kind, listed in data["cards"].items():
        assert listed, kind
        for card in listed:
            assert card["seconds"] >= data["durations"][kind], card
            assert card["parts"] == card["id"].split("+")
    assert set(data["rotation"]["stretch"]) == {c["id"] for c in data["cards"]["stretch"]}


def test_cli_show_prints_one_card(tmp_path: Path) -> None:
    result = _ergod(tmp_path, "exercises", "show", "thoracic_chair_ext")
    assert result.returncode == 0, result.stderr
    assert result.stdout == format_card(_BUILTIN.get("thoracic_chair_ext")) + "\n"
    assert "  3. " in result.stdout and "Careful: " in result.stdout
    paired = _ergod(tmp_path, "exercises", "--json", "show", "march_heels+wall_slide")
    assert paired.returncode == 0, paired.stderr
    assert json.loads(paired.stdout)["steps"] == list(_BUILTIN.get("march_heels+wall_slide").steps)


def test_cli_unknown_id_exits_2_with_a_suggestion(tmp_path: Path) -> None:
    result = _ergod(tmp_path, "exercises", "show", "eye_far_focs")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "ergod: no exercise 'eye_far_focs' (did you mean \"eye_far_focus\"?)\n"
    )


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
    shown: Mapping[str, tuple[str, str]] = {}
    for kind, card in all_cards(_BUILTIN):
        message = prompt_for((kind or Kind.STRETCH).value, card, 7200.0, 300.0, 30.0, True)
        shown = {**shown, card.id: (message.title, message.body)}
    for title, body in shown.values():
        subprocess.run([notify_send, "--app-name=ergod", title, body], check=True, timeout=30)
    received = shared_notification_server.wait_for(lambda h: len(h) >= len(shown))
    assert [(n["summary"], n["body"]) for n in received] == list(shown.values())


# --- safety, "This hurts" and short custom cards --------------------------------------


def test_cli_safety_shows_both_tiers_urgent_first(tmp_path: Path) -> None:
    result = _ergod(tmp_path, "exercises", "--safety")
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    urgent, clinician = out.index("urgent care now"), out.index("doctor or physiotherapist")
    assert urgent < clinician
    for sign in ("chest pain", "breathlessness", "jaw", "bladder or bowel", "legs", "a fall"):
        assert urgent < out.index(sign) < clinician, sign
    for sign in ("muscle spasms", "a week or two", "down an arm", "fever"):
        assert out.index(sign) > clinician, sign


def test_cli_hurts_switches_the_exercise_off_through_config_set(tmp_path: Path) -> None:
    _write_user_config(tmp_path, '# mine\n[exercises]\ndisabled = ["eye_far_focus"]\n')
    result = _ergod(tmp_path, "hurts", "wall_slide")
    assert result.returncode == 0, result.stderr
    assert "Wall slide: switched off" in result.stdout
    assert "urgent care now" in result.stdout and "physiotherapist" in result.stdout
    text = (tmp_path / "config" / "ergod" / "config.toml").read_text()
    assert text.startswith("# mine\n")  # edited in place, comments kept
    shown = _ergod(tmp_path, "config", "show", "--origin").stdout
    [line] = [line for line in shown.splitlines() if line.startswith("exercises.disabled")]
    assert '["eye_far_focus", "wall_slide"]' in line and "config.toml:" in line
    listed = json.loads(_ergod(tmp_path, "exercises", "--json").stdout)
    assert all("wall_slide" not in c["parts"] for k in listed["cards"].values() for c in k)
    again = _ergod(tmp_path, "hurts", "wall_slide")
    assert again.returncode == 0 and "already switched off" in again.stdout


def test_cli_hurts_without_an_id_takes_the_last_shown_set(tmp_path: Path) -> None:
    nothing = _ergod(tmp_path, "hurts")
    assert nothing.returncode == 2
    assert "name one: ergod hurts ID" in nothing.stdout and "urgent care now" in nothing.stdout
    record_shown_break(tmp_path / "state" / "ergod" / "ergod.db", "march_heels+wall_pushup")
    result = _ergod(tmp_path, "hurts")
    assert result.returncode == 0, result.stderr
    data = json.loads(_ergod(tmp_path, "exercises", "--json").stdout)
    off = {e["id"] for e in data["exercises"] if not e["enabled"]}
    assert off == {"march_heels", "wall_pushup"}


def record_shown_break(path: Path, exercise: str) -> None:
    """A movement break shown and still open, written as the daemon's store writer does."""
    import logging
    from datetime import datetime, timezone

    from ergod.core.model import BreakRecord, Outcome
    from ergod.store import StoreWriter

    writer = StoreWriter(path, logging.getLogger("test"))
    writer.start()
    wall = lambda t: datetime.fromtimestamp(1_790_000_000 + t, timezone.utc)  # noqa: E731
    record = BreakRecord(Kind.MOVEMENT, 1800.0, 1800.0, 1, 0, Outcome.PENDING, None, None, exercise)
    writer.break_opened(record, wall)
    assert writer.close()


def test_a_short_custom_card_is_a_warning_with_file_and_line(tmp_path: Path) -> None:
    _write_user_config(
        tmp_path,
        "[[exercises.custom]]\n"
        'id = "stairs"\nname = "Stairs"\nfocus = "legs"\nseconds = 90\n'
        'steps = ["Up and down one flight."]\nkinds = ["movement"]\n',
    )
    result = _ergod(tmp_path, "config", "check")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "config" / "ergod" / "config.toml"
    assert (
        f"{path}:1:1: exercises.custom: warning: exercise 'stairs' lasts 1 min 30 s, less than "
        "a movement break's duration (3 min)"
    ) in result.stdout + result.stderr
    data = json.loads(_ergod(tmp_path, "exercises", "--json").stdout)
    stairs = [c for c in data["cards"]["movement"] if c["parts"][0] == "stairs"]
    assert stairs and all(c["seconds"] >= 180 for c in stairs)
