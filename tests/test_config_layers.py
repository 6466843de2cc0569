"""The configuration layers, locks, bounds and every kind of problem, on real files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from config_support import World

from ergod.activity import SOURCE_NAMES
from ergod.config import ConfigError, Layer, Problem, check_files, load_config
from ergod.config.layers import builtin_text, evaluate
from ergod.config.schema import KEYS, Config
from ergod.core.rules import Rules
from ergod.environment import Environment, ensure_private_dir

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World.make(tmp_path)


# --- the built-in defaults --------------------------------------------------


def test_builtin_defaults_are_the_specs() -> None:
    env = Environment.from_os({"HOME": "/nonexistent", "ERGOD_SYSTEM_DIR": "/nonexistent"})
    loaded = load_config(env)
    assert loaded.config.rules() == Rules()
    assert loaded.warnings == []
    assert {o.layer for o in loaded.origins.values()} == {Layer.BUILTIN}
    cfg = loaded.config
    assert cfg.schedule.days == (0, 1, 2, 3, 4, 5, 6)
    assert (cfg.schedule.start, cfg.schedule.end) == (0, 1440)
    assert cfg.store.retention == 400 * 86400
    assert cfg.summary.notify == (4, 16 * 60)
    assert cfg.sitting.daily_limit == 4 * 3600
    assert "obs" in cfg.quiet.processes
    # A call app merely running holds nothing back: calls are detected by microphone and camera.
    assert not {"zoom", "teams", "ms-teams", "discord", "slack"} & set(cfg.quiet.processes)
    assert cfg.quiet.calls is True
    assert cfg.activity.inhibitors.value == "presence"


def test_shipped_file_defines_exactly_the_known_keys_each_with_a_comment() -> None:
    text = builtin_text()
    lines = text.splitlines()
    section = ""
    seen = []
    for number, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip("[]")
            continue
        match = re.match(r"^(\w+) = ", line)
        if match:
            seen.append(f"{section}.{match.group(1)}")
            documented = "#" in line or lines[number - 1].lstrip().startswith("#")
            assert documented, f"{section}.{match.group(1)} has no comment"
    assert seen == list(KEYS)


def test_config_default_toml_is_the_package_data_file() -> None:
    link = REPO / "config" / "default.toml"
    assert link.is_symlink()
    assert link.resolve() == (REPO / "ergod" / "data" / "default.toml").resolve()
    assert link.read_text(encoding="utf-8") == builtin_text()


def test_example_files_are_valid(tmp_path: Path) -> None:
    examples = sorted((REPO / "config" / "examples").glob("*.toml"))
    assert len(examples) >= 3, "config/examples/*.toml is missing"
    for example in examples:
        world = World.make(tmp_path / example.stem)
        if "policy" in example.name:
            world.write(f"etc/policy.d/{example.name}", example.read_text(encoding="utf-8"))
            assert check_files(world.env) == [], example
        else:
            assert check_files(world.env, [example]) == [], example


# --- layers -----------------------------------------------------------------

# (files written below the root, --config files, key, expected value, origin layer, origin file)
LAYER_CASES: list[tuple[str, dict[str, str], list[str], str, Any, Layer, str | None]] = [
    ("built-in", {}, [], "breaks.stretch.every", 1200.0, Layer.BUILTIN, None),
    (
        "system file",
        {"etc/config.toml": '[breaks.stretch]\nevery = "25m"\n'},
        [],
        "breaks.stretch.every",
        1500.0,
        Layer.SYSTEM,
        "etc/config.toml",
    ),
    (
        "config.d after config.toml, in name order",
        {
            "etc/config.toml": '[breaks.stretch]\nevery = "25m"\n',
            "etc/config.d/20-b.toml": '[breaks.stretch]\nevery = "27m"\n',
            "etc/config.d/10-a.toml": '[breaks.stretch]\nevery = "26m"\n',
        },
        [],
        "breaks.stretch.every",
        1620.0,
        Layer.SYSTEM,
        "etc/config.d/20-b.toml",
    ),
    (
        "user over system",
        {
            "etc/config.d/10-a.toml": '[breaks.stretch]\nevery = "26m"\n',
            "config/ergod/config.toml": '[breaks.stretch]\nevery = "15m"\n',
        },
        [],
        "breaks.stretch.every",
        900.0,
        Layer.USER,
        "config/ergod/config.toml",
    ),
    (
        "--config over user, last one wins",
        {
            "config/ergod/config.toml": '[breaks.stretch]\nevery = "15m"\n',
            "a.toml": '[breaks.stretch]\nevery = "6s"\nduration = "2s"\n',
            "b.toml": '[breaks.stretch]\nevery = "7s"\n',
        },
        ["a.toml", "b.toml"],
        "breaks.stretch.every",
        7.0,
        Layer.COMMAND_LINE,
        "b.toml",
    ),
    (
        "policy over everything, later policy file wins",
        {
            "config/ergod/config.toml": '[breaks.stretch]\nevery = "15m"\n',
            "a.toml": '[breaks.stretch]\nevery = "16m"\n',
            "etc/policy.d/10-a.toml": '[breaks.stretch]\nevery = "21m"\n',
            "etc/policy.d/20-b.toml": '[breaks.stretch]\nevery = "22m"\n',
        },
        ["a.toml"],
        "breaks.stretch.every",
        1320.0,
        Layer.POLICY,
        "etc/policy.d/20-b.toml",
    ),
    (
        "dotted keys and integer seconds",
        {"config/ergod/config.toml": "breaks.stretch.every = 600\n"},
        [],
        "breaks.stretch.every",
        600.0,
        Layer.USER,
        "config/ergod/config.toml",
    ),
]


@pytest.mark.parametrize(
    ("files", "extra", "key", "value", "layer", "origin_file"),
    [case[1:] for case in LAYER_CASES],
    ids=[case[0] for case in LAYER_CASES],
)
def test_layers(
    world: World,
    files: dict[str, str],
    extra: list[str],
    key: str,
    value: Any,
    layer: Layer,
    origin_file: str | None,
) -> None:
    for relative, text in files.items():
        world.write(relative, text)
    loaded = load_config(world.env, [world.root / p for p in extra])
    assert loaded.values[key] == value
    origin = loaded.origins[key]
    assert origin.layer is layer
    assert origin.file == (None if origin_file is None else world.root / origin_file)
    assert origin.locked is (layer is Layer.POLICY)


def test_loading_writes_nothing(world: World) -> None:
    world.write("etc/config.toml", "[sitting]\nbreak_after = '4m'\n")
    world.write("etc/policy.d/a.toml", "[bounds]\n'breaks.movement.every' = ['20m', '45m']\n")
    world.write("config/ergod/config.toml", "[sitting]\nbreak_after = '5m'\n")
    before = world.snapshot()
    load_config(world.env)
    check_files(world.env, [world.user_file])
    assert world.snapshot() == before
    assert not world.env.runtime_dir.exists()


def test_seconds_scale_config_is_valid(world: World) -> None:
    world.write(
        "config/ergod/config.toml",
        """\
        [sitting]
        break_after = "5s"
        [activity]
        presence = "1s"
        [breaks]
        coalesce = "0s"
        catch_up = "0"
        [breaks.stretch]
        every = "6s"
        duration = "2s"
        grace = "1s"
        repeat = "3s"
        snooze = "2s"
        [breaks.movement]
        every = "10s"
        duration = "4s"
        grace = "0s"
        repeat = "1s"
        """,
    )
    rules = load_config(world.env).config.rules()
    assert (rules.stretch.every, rules.movement.grace, rules.coalesce) == (6.0, 0.0, 0.0)
    assert rules.catch_up == 0.0


def test_custom_exercises_add_up_across_layers(world: World) -> None:
    card = "[[exercises.custom]]\nid = '{0}'\nname = 'N'\nfocus = 'neck'\n"
    card += "seconds = 10\nsteps = ['s']\n"
    world.write("etc/config.d/a.toml", card.format("site_stretch"))
    world.write("config/ergod/config.toml", card.format("my_stretch"))
    custom = load_config(world.env).config.exercises.custom
    assert [c["id"] for c in custom] == ["site_stretch", "my_stretch"]


def test_config_is_frozen(world: World) -> None:
    cfg: Config = load_config(world.env).config
    with pytest.raises(AttributeError):
        cfg.sitting.break_after = 1.0  # type: ignore[misc]


# --- locks and bounds -------------------------------------------------------


def test_locked_key_warns_names_key_and_policy_file_and_policy_stands(world: World) -> None:
    policy = world.write("etc/policy.d/10-it.toml", "[breaks.movement]\nevery = '40m'\n")
    user = world.write("config/ergod/config.toml", "# mine\n[breaks.movement]\nevery = '1h'\n")
    loaded = load_config(world.env)
    assert loaded.values["breaks.movement.every"] == 2400.0
    assert loaded.origins["breaks.movement.every"].locked
    assert loaded.warnings == [
        f"{user}:3:1: breaks.movement.every: warning: locked by policy {policy}; "
        'the policy value "40m" stands'
    ]


def test_bounds_drop_a_users_value_outside_with_a_warning(world: World) -> None:
    # Before (issue 17, item 2): a problem, so `ergod run` exited 2 and, restarted
    # by systemd again and again, showed no reminder at all.
    policy = world.write(
        "etc/policy.d/10-it.toml", '[bounds]\n"breaks.movement.every" = ["20m", "45m"]\n'
    )
    user = world.write("config/ergod/config.toml", "[breaks.movement]\nevery = '1h'\n")
    loaded = load_config(world.env)
    assert loaded.values["breaks.movement.every"] == 1800.0  # the default stands
    assert loaded.warnings == [
        f'{user}:2:1: breaks.movement.every: warning: outside ["20m", "45m"], the bounds '
        f'set by policy {policy}; "30m" stands'
    ]
    world.write("config/ergod/config.toml", "[breaks.movement]\nevery = '45m'\n")
    assert load_config(world.env).values["breaks.movement.every"] == 2700.0


def test_bounds_refuse_a_system_files_value_outside(world: World) -> None:
    policy = world.write(
        "etc/policy.d/10-it.toml", '[bounds]\n"breaks.movement.every" = ["20m", "45m"]\n'
    )
    site = world.write("etc/config.d/10-site.toml", "[breaks.movement]\nevery = '1h'\n")
    with pytest.raises(ConfigError) as caught:
        load_config(world.env)
    assert [p.message for p in caught.value.problems] == [
        f'{site}:2:1: breaks.movement.every: expected a value within ["20m", "45m"] '
        f'(bounds set by policy {policy}), found "1h"'
    ]


def test_bounds_move_a_builtin_default_into_range(world: World) -> None:
    policy = world.write(
        "etc/policy.d/a.toml", '[bounds]\n"breaks.stretch.every" = ["30m", "1h"]\n'
    )
    loaded = load_config(world.env)
    assert loaded.values["breaks.stretch.every"] == 1800.0
    assert loaded.origins["breaks.stretch.every"].file == policy


def test_a_locked_value_outside_its_own_bounds_is_a_problem(world: World) -> None:
    policy = world.write(
        "etc/policy.d/a.toml",
        "[breaks.movement]\nevery = '2h'\n[bounds]\n'breaks.movement.every' = ['20m', '45m']\n",
    )
    problems = check_files(world.env)
    assert [p.message for p in problems] == [
        f'{policy}:2:1: breaks.movement.every: expected a value within ["20m", "45m"] '
        f'(bounds set by policy {policy}), found "2h"'
    ]


# --- every kind of problem, with its exact message ------------------------------------

DURATION = 'a duration like "20m", "90s", "1h30m", "400d" or seconds'
SOURCES = ", ".join(SOURCE_NAMES)  # tests/test_config_registries.py checks the list itself

# (id, user file text, expected messages with {f} for the file)
PROBLEM_CASES = [
    (
        "not TOML",
        "[sitting\nbreak_after = 1\n",
        ["{f}:1:9: expected valid TOML, found expected ']' at the end of a table declaration"],
    ),
    (
        "type error",
        "[sitting]\nbreak_after = true\n",
        [f"{{f}}:2:1: sitting.break_after: expected {DURATION}, found true"],
    ),
    (
        "bad duration text",
        "[breaks.stretch]\n  every = 'twenty minutes'\n",
        [f'{{f}}:2:3: breaks.stretch.every: expected {DURATION}, found "twenty minutes"'],
    ),
    (
        "unknown key, did you mean",
        "[breaks.stretch]\nevrey = '25m'\n",
        [
            "{f}:2:1: breaks.stretch.evrey: expected a known key, found an unknown key; "
            'did you mean "breaks.stretch.every"?'
        ],
    ),
    (
        "unknown section, did you mean",
        "[brakes]\ncoalesce = '1m'\n",
        ['{f}:1:1: brakes: expected a known key, found an unknown key; did you mean "breaks"?'],
    ),
    (
        "unknown key, nothing close",
        "zzzzzz = 1\n",
        ["{f}:1:1: zzzzzz: expected a known key, found an unknown key"],
    ),
    (
        "[bounds] outside policy",
        "[bounds]\n'sitting.break_after' = ['1m', '5m']\n",
        [
            "{f}:1:1: bounds: expected a known key, found an unknown key; "
            "[bounds] is read only from policy files (policy.d/*.toml)"
        ],
    ),
    ("section not a table", "sitting = 5\n", ["{f}:1:1: sitting: expected a table, found 5"]),
    (
        "out of range count",
        "[breaks.movement]\nmax_prompts = 0\nmax_snoozes = -1\n",
        [
            "{f}:2:1: breaks.movement.max_prompts: expected a whole number of at least 1, found 0",
            "{f}:3:1: breaks.movement.max_snoozes: expected a whole number of at least 0, found -1",
        ],
    ),
    (
        "zero duration",
        "[breaks.stretch]\nevery = '0s'\n",
        ['{f}:2:1: breaks.stretch.every: expected a duration of at least 0.1s, found "0s"'],
    ),
    (
        "choice",
        "[activity]\nsource = 'evdev'\n",
        [f'{{f}}:2:1: activity.source: expected one of {SOURCES}, found "evdev"'],
    ),
    (
        "clock time",
        "[schedule]\nstart = '25:00'\n",
        ['{f}:2:1: schedule.start: expected a clock time like "08:30", found "25:00"'],
    ),
    (
        "a TOML date where a clock time belongs",
        "[schedule]\nstart = 2024-01-01\n",
        ['{f}:2:1: schedule.start: expected a clock time like "08:30", found 2024-01-01'],
    ),
    (
        "days",
        "[schedule]\ndays = 'mon-fry'\n",
        [
            '{f}:2:1: schedule.days: expected days like "mon-fri", "sat,sun" or a list of day '
            'names, found "mon-fry"'
        ],
    ),
    (
        "weekly time",
        "[summary]\nnotify = 'friday'\n",
        [
            '{f}:2:1: summary.notify: expected a day and time like "fri 16:00", or "" for off, '
            'found "friday"'
        ],
    ),
    (
        "list of strings",
        "[quiet]\nprocesses = 'zoom'\n",
        ['{f}:2:1: quiet.processes: expected a list of strings, found "zoom"'],
    ),
    (
        "cross: duration < every",
        "[breaks.stretch]\nduration = '20m'\n",
        [
            '{f}:2:1: breaks.stretch.duration: expected less than breaks.stretch.every ("20m"), '
            'found "20m"'
        ],
    ),
    (
        "cross: every blamed when it is the one set",
        "[breaks.movement]\nevery = '2m'\n",
        [
            '{f}:2:1: breaks.movement.every: expected more than breaks.movement.duration ("3m"), '
            'found "2m"'
        ],
    ),
    (
        "cross: repeat >= grace",
        "[breaks.movement]\nrepeat = '4m'\n",
        [
            '{f}:2:1: breaks.movement.repeat: expected at least breaks.movement.grace ("5m"), '
            'found "4m"'
        ],
    ),
    (
        "cross: schedule end after start",
        "[schedule]\nstart = '18:00'\nend = '09:00'\n",
        ['{f}:3:1: schedule.end: expected more than schedule.start ("18:00"), found "09:00"'],
    ),
    (
        "custom exercise fields",
        """\
        [[exercises.custom]]
        id = "desk_pushup"
        name = "Desk push-up"
        focus = "chest"
        seconds = "30"
        steps = ["Lower", "Push"]
        colour = "red"

        [[exercises.custom]]
        id = "x"
        kinds = ["sit"]
        """,
        [
            "{f}:5:1: exercises.custom[0].seconds: expected a whole number of seconds above "
            'zero, found "30"',
            "{f}:7:1: exercises.custom[0].colour: expected one of the fields id, name, focus, "
            "seconds, steps, caveat, kinds, found an unknown field",
            '{f}:9:1: exercises.custom[1]: expected a field "name", found none',
            '{f}:9:1: exercises.custom[1]: expected a field "focus", found none',
            '{f}:9:1: exercises.custom[1]: expected a field "seconds", found none',
            '{f}:9:1: exercises.custom[1]: expected a field "steps", found none',
            "{f}:11:1: exercises.custom[1].kinds: expected a non-empty list of "
            '"movement" or "stretch", found ["sit"]',
        ],
    ),
    (
        "custom exercise content, checked by the library's validator with lines",
        """\
        [[exercises.custom]]
        id = "Desk-Pushup"
        name = ""
        focus = "chest"
        seconds = 30
        steps = ["Lower", " "]
        """,
        [
            '{f}:2:1: exercises.custom[0].id: expected lowercase letters, digits and "_" '
            'only, like "neck_roll", found "Desk-Pushup"',
            '{f}:3:1: exercises.custom[0].name: expected non-empty text, found ""',
            "{f}:6:1: exercises.custom[0].steps: expected a non-empty list of non-empty "
            'strings, found ["Lower", " "]',
        ],
    ),
    (
        "exercise library checks",
        """\
        [exercises]
        disabled = ["nekc"]
        """,
        [
            "{f}:2:1: exercises.disabled: expected exercise ids or focus areas, found 'nekc' is "
            'neither an exercise id nor a focus area (did you mean "neck"?)'
        ],
    ),
    (
        "a sound that is neither a name nor a path",
        "[notify]\nsound = 'chime.oga in my music'\n[tray]\nenabled = 'yes'\n",
        [
            '{f}:2:1: notify.sound: expected a sound name like "message-new-instant", an '
            'absolute or ~/ file path, or "" for none, found "chime.oga in my music"',
            '{f}:4:1: tray.enabled: expected true or false, found "yes"',
        ],
    ),
    (
        "several problems, all reported in line order",
        "[sitting]\nbreak_after = []\n[activity]\npresense = '1m'\nsource = 1\n",
        [
            f"{{f}}:2:1: sitting.break_after: expected {DURATION}, found []",
            "{f}:4:1: activity.presense: expected a known key, found an unknown key; "
            'did you mean "activity.presence"?',
            f"{{f}}:5:1: activity.source: expected one of {SOURCES}, found 1",
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"), [c[1:] for c in PROBLEM_CASES], ids=[c[0] for c in PROBLEM_CASES]
)
def test_problems(world: World, text: str, expected: list[str]) -> None:
    path = world.write("config/ergod/config.toml", text)
    messages = [p.message for p in check_files(world.env)]
    assert messages == [e.format(f=path) for e in expected]
    with pytest.raises(ConfigError) as caught:
        load_config(world.env)
    assert caught.value.exit_code == 2
    lines = caught.value.message.splitlines()
    count = len(expected)
    assert lines[0] == f"configuration has {count} problem{'s' if count > 1 else ''}:"
    assert lines[1:] == messages


POLICY_PROBLEM_CASES = [
    (
        "bound on a non-number key",
        "[bounds]\n'activity.source' = ['auto', 'x11']\n",
        [
            "{f}:2:1: bounds.activity.source: expected a bound on a number or duration key, "
            "found a bound on activity.source"
        ],
    ),
    (
        "bound not a pair",
        "[bounds]\n'breaks.stretch.every' = '20m'\n",
        ['{f}:2:1: bounds.breaks.stretch.every: expected [LOW, HIGH], found "20m"'],
    ),
    (
        "bound the wrong way round",
        "[bounds]\n'breaks.stretch.every' = ['1h', '20m']\n",
        [
            "{f}:2:1: bounds.breaks.stretch.every: expected LOW at most HIGH in [LOW, HIGH], "
            'found ["1h", "20m"]'
        ],
    ),
    (
        "bound with a bad end",
        "[bounds]\n'breaks.stretch.max_prompts' = [1, 'many']\n",
        [
            "{f}:2:1: bounds.breaks.stretch.max_prompts: expected a whole number of at least 1, "
            'found [1, "many"]'
        ],
    ),
    (
        "bound on an unknown key",
        "[bounds]\n'breaks.stretch.evry' = ['1m', '2m']\n",
        [
            "{f}:2:1: bounds.breaks.stretch.evry: expected a known key, found an unknown key; "
            'did you mean "breaks.stretch.every"?'
        ],
    ),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [c[1:] for c in POLICY_PROBLEM_CASES],
    ids=[c[0] for c in POLICY_PROBLEM_CASES],
)
def test_policy_problems(world: World, text: str, expected: list[str]) -> None:
    path = world.write("etc/policy.d/10-it.toml", text)
    assert [p.message for p in check_files(world.env)] == [e.format(f=path) for e in expected]


def test_missing_command_line_file_is_a_problem_but_missing_layers_are_not(world: World) -> None:
    missing = world.root / "nope.toml"
    assert check_files(world.env) == []
    assert [p.message for p in check_files(world.env, [missing, world.root])] == [
        f"{missing}: expected a readable file, found no such file",
        f"{world.root}: expected a readable file, found a directory",
    ]
    world.write("config/ergod/config.toml/oops", "")  # the user's file is a directory
    assert [p.message for p in check_files(world.env)] == [
        f"{world.user_file}: expected a readable file, found a directory"
    ]


def test_problem_message_shape_without_line_or_file() -> None:
    assert Problem(None, "k", None, None, "x", "y").message == "<built-in>: k: expected x, found y"
    assert (
        Problem(Path("f.toml"), "k", 3, None, "x", "y", "hint").message
        == "f.toml:3: k: expected x, found y; hint"
    )


def test_evaluation_keeps_good_values_when_others_are_bad(world: World) -> None:
    world.write(
        "config/ergod/config.toml", "[sitting]\nbreak_after = '4m'\n[activity]\nsource = 3\n"
    )
    result = evaluate(world.env)
    assert len(result.problems) == 1
    assert result.values["sitting.break_after"] == 240.0


# --- the environment ------------------------------------------------------------------


def test_environment_from_os_defaults_and_overrides() -> None:
    env = Environment.from_os({"HOME": "/home/u"})
    assert env.system_dir == Path("/etc/ergod")
    assert env.user_config_file == Path("/home/u/.config/ergod/config.toml")
    assert env.default_store_path == Path("/home/u/.local/state/ergod/ergod.db")
    assert env.runtime_dir.name.startswith("ergod-")
    env = Environment.from_os(
        {
            "HOME": "/home/u",
            "ERGOD_SYSTEM_DIR": "/srv/ergod",
            "XDG_CONFIG_HOME": "relative/ignored",
            "XDG_STATE_HOME": "/s",
            "XDG_RUNTIME_DIR": "/run/user/1000",
        }
    )
    assert env.policy_dir == Path("/srv/ergod/policy.d")
    assert env.user_config_file == Path("/home/u/.config/ergod/config.toml")
    assert env.state_dir == Path("/s/ergod")
    assert env.lock_file == Path("/run/user/1000/ergod/ergod.lock")
    assert env.expand_user("~/x.db") == Path("/home/u/x.db")


def test_store_and_metrics_paths_resolve_against_the_environment(world: World) -> None:
    cfg = load_config(world.env).config
    assert cfg.store.db_path(world.env) == world.env.default_store_path
    assert cfg.metrics.textfile_path(world.env) is None
    world.write(
        "config/ergod/config.toml", "[store]\npath = '~/a.db'\n[metrics]\ntextfile = '/m'\n"
    )
    cfg = load_config(world.env).config
    assert cfg.store.db_path(world.env) == world.env.home / "a.db"
    assert cfg.metrics.textfile_path(world.env) == Path("/m")


def test_the_reference_documents_every_key() -> None:
    reference = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    for key in KEYS:
        generic = re.sub(r"^breaks\.(stretch|movement)\.", "breaks.<kind>.", key)
        assert f"| `{generic}` |" in reference, f"docs/configuration.md lacks {key}"


def test_ensure_private_dir_creates_0700_and_refuses_a_shared_one(tmp_path: Path) -> None:
    made = ensure_private_dir(tmp_path / "run" / "ergod")
    assert made.is_dir() and made.stat().st_mode & 0o777 == 0o700
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o777)
    shared.chmod(0o777)
    with pytest.raises(PermissionError, match="open to other users"):
        ensure_private_dir(shared)


def test_a_file_read_twice_reports_each_problem_once(world: World) -> None:
    world.write("etc/policy.d/a.toml", "[sitting]\nbreak_after = '3m'\n")
    user = world.write("config/ergod/config.toml", "[sitting]\nbreak_after = 'x'\ndaily = 1\n")
    result = evaluate(world.env, [user])
    assert [p.key for p in result.problems] == ["sitting.break_after", "sitting.daily"]
