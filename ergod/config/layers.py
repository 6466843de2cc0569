"""The configuration layers, merged into one effective, validated configuration.

Layers, lowest first (each file's keys replace those of the files below):

1. `built-in`: ergod/data/default.toml, shipped as package data;
2. `system`: <system_dir>/config.toml, then <system_dir>/config.d/*.toml in
   name order (what IT ships to every machine);
3. `user`: <config_home>/ergod/config.toml;
4. `command-line`: each `--config FILE`, in the order given;
5. `policy`: <system_dir>/policy.d/*.toml in name order. A key set here is
   locked: a lower layer that sets it gets a warning naming the key and the
   policy file, and the policy value stands. A policy file's `[bounds]` table
   bounds a number or duration key instead: `"breaks.movement.every" =
   ["20m", "45m"]`; a user's or `--config` value outside is dropped with the
   same kind of warning, a system file's is a problem naming the range and
   the policy file. A built-in default outside a bound is moved to the
   nearest end of it (IT asked for that range; the default is ours).

Lists are replaced whole, except `[[exercises.custom]]` tables, which add up
across layers (a later table with the same id replaces the earlier one).
Missing files of layers 2, 3 and 5 are skipped; a missing `--config` file is a
problem. Every problem in every file is collected before anything is refused,
and loading never writes a file.

`evaluate(..., forgiving=True)` is how the daemon reads (`ergod run`, reload):
each problem in the user's own file drops what it is about (the key, or the
whole file when it cannot be read) with a warning naming file, line and key,
and the lower layers decide instead; problems in every other file still
refuse. `ergod config check` and `config set` read strictly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ergod.config.document import NO_SUCH_FILE, Document, parse_text, read_document
from ergod.config.entries import BOUNDS_TABLE, Entry, entries
from ergod.config.errors import ConfigError, Problem
from ergod.config.policy import Bound, out_of_bounds, read_policy
from ergod.config.schema import CROSS_RULES, KEYS, Config
from ergod.config.values import show_value
from ergod.environment import Environment
from ergod.exercises.fields import CUSTOM, DISABLED
from ergod.files import package_data

if TYPE_CHECKING:
    from ergod.exercises.model import Library

__all__ = ["BOUNDS_TABLE", "Bound"]  # and the names defined here

CUSTOM_EXERCISES = CUSTOM
DISABLED_EXERCISES = DISABLED


class Layer(str, Enum):
    """Where a value came from, lowest first."""

    BUILTIN = "built-in"
    SYSTEM = "system"
    USER = "user"
    COMMAND_LINE = "command-line"
    POLICY = "policy"

    @property
    def rank(self) -> int:
        return list(Layer).index(self)


@dataclass(frozen=True)
class Origin:
    """The layer and file an effective value came from, and whether it is locked."""

    layer: Layer
    file: Path | None  # None: the built-in defaults
    line: int | None = None
    column: int | None = None
    locked: bool = False

    def describe(self) -> str:
        where = "" if self.file is None else f" {self.file}"
        where += f":{self.line}" if self.file is not None and self.line is not None else ""
        return f"{self.layer.value}{where}" + (" (locked)" if self.locked else "")


@dataclass(frozen=True)
class LayerFile:
    """One file of one layer; `path` None is the built-in defaults."""

    layer: Layer
    path: Path | None

    @property
    def exists(self) -> bool:
        """Whether there is a file to read (the built-in defaults always are)."""
        return self.path is None or self.path.is_file()

    @property
    def name(self) -> str:
        """The file's path for people; the installed default.toml for the built-in."""
        return builtin_path() if self.path is None else str(self.path)


@dataclass(frozen=True)
class LoadedConfig:
    """The effective configuration, where each value came from, and the warnings."""

    config: Config
    origins: Mapping[str, Origin]
    warnings: list[str]
    values: Mapping[str, Any]  # dotted key -> typed value, as in Config
    bounds: Mapping[str, Bound] = field(default_factory=dict)
    files: tuple[LayerFile, ...] = ()  # the files read, lowest layer first


@dataclass
class Evaluation:
    """Everything found while merging the layers, problems included."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, Origin] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    bounds: dict[str, Bound] = field(default_factory=dict)
    files: list[LayerFile] = field(default_factory=list)
    # (where, key, bound) of lower-layer values dropped for being out of bounds
    ignored: list[tuple[str, str, Bound]] = field(default_factory=list)

    @property
    def locked(self) -> dict[str, Origin]:
        return {key: origin for key, origin in self.origins.items() if origin.locked}

    def loaded(self) -> LoadedConfig:
        if self.problems:
            raise ConfigError(self.problems)
        return LoadedConfig(
            config=Config.from_values(self.values),
            origins=dict(self.origins),
            warnings=list(self.warnings),
            values=dict(self.values),
            bounds=dict(self.bounds),
            files=tuple(self.files),
        )


def builtin_text() -> str:
    """The shipped default.toml: the key set, documented, and the defaults."""
    return package_data("default.toml").read_text(encoding="utf-8")


def builtin_path() -> str:
    """Where the built-in defaults are installed, for people to read."""
    return str(package_data("default.toml"))


def _toml_files(directory: Path) -> list[Path]:
    try:
        return sorted(p for p in directory.glob("*.toml") if p.is_file())
    except OSError:
        return []


def layer_files(env: Environment, extra_files: Sequence[Path] = ()) -> list[LayerFile]:
    """Every file of every layer, lowest first, existing or not (built-in first)."""
    files = [LayerFile(Layer.BUILTIN, None), LayerFile(Layer.SYSTEM, env.system_config_file)]
    files += [LayerFile(Layer.SYSTEM, p) for p in _toml_files(env.system_config_dir)]
    files.append(LayerFile(Layer.USER, env.user_config_file))
    files += [LayerFile(Layer.COMMAND_LINE, Path(p)) for p in extra_files]
    files += [LayerFile(Layer.POLICY, p) for p in _toml_files(env.policy_dir)]
    return files


def _merge_custom(old: tuple[Any, ...], new: tuple[Any, ...]) -> tuple[Any, ...]:
    by_id = {table["id"]: table for table in old}
    by_id.update({table["id"]: table for table in new})
    return tuple(by_id.values())


def _read_layers(
    env: Environment,
    extra_files: Sequence[Path],
    texts: Mapping[Path, str],
    result: Evaluation,
    skip_user: bool,
) -> list[tuple[LayerFile, Document]]:
    read = []
    for layer_file in layer_files(env, extra_files):
        path = layer_file.path
        if skip_user and layer_file.layer is Layer.USER:
            continue
        if path is None:
            doc: Document | Problem = parse_text(builtin_text(), None)
        elif path in texts:
            doc = parse_text(texts[path], path)
        else:
            doc = read_document(path)
        # Only a file named on the command line has to exist.
        missing = isinstance(doc, Problem) and doc.found == NO_SUCH_FILE
        if missing and layer_file.layer is not Layer.COMMAND_LINE:
            continue
        if isinstance(doc, Problem):
            result.problems.append(doc)
            continue
        read.append((layer_file, doc))
        result.files.append(layer_file)
    return read


def _read_policy(doc: Document, result: Evaluation) -> dict[str, tuple[Entry, Origin]]:
    """The keys `doc` locks; its bounds go into `result`."""
    locked, bounds = read_policy(doc, result.problems)
    result.bounds.update((bound.key, bound) for bound in bounds)
    return {
        entry.key: (entry, Origin(Layer.POLICY, doc.path, entry.line, entry.column, locked=True))
        for entry in locked
    }


def _out_of_bounds(bound: Bound, origin: Origin, raw: object) -> Problem:
    return out_of_bounds(bound, origin.file, origin.line, origin.column, raw)


def _merge(
    layer: Layer,
    doc: Document,
    locked: Mapping[str, tuple[Entry, Origin]],
    result: Evaluation,
    skip: frozenset[str],
) -> None:
    """Lay the values of one lower-layer file over those below it."""
    for entry in entries(doc, doc.data, "", result.problems, policy=False, skip=skip):
        origin = Origin(layer, doc.path, entry.line, entry.column)
        where = Problem(doc.path, entry.key, entry.line, entry.column, "", "").where
        if entry.key in locked and layer is not Layer.BUILTIN:
            policy_entry, policy_origin = locked[entry.key]
            result.warnings.append(
                f"{where}: {entry.key}: warning: locked by policy {policy_origin.file}; "
                f"the policy value {show_value(policy_entry.raw)} stands"
            )
            continue
        value = entry.value
        bound = result.bounds.get(entry.key)
        if bound is not None and not bound.allows(value):
            if layer in (Layer.USER, Layer.COMMAND_LINE):
                # The user's own value: dropped like a locked key's, never fatal.
                result.ignored.append((where, entry.key, bound))
                continue
            if layer is not Layer.BUILTIN:
                result.problems.append(_out_of_bounds(bound, origin, entry.raw))
                continue
            value = min(max(value, bound.low), bound.high)
            origin = Origin(Layer.POLICY, bound.file)
        if entry.key == CUSTOM_EXERCISES and entry.key in result.values:
            value = _merge_custom(result.values[entry.key], value)
        result.values[entry.key] = value
        result.origins[entry.key] = origin


def evaluate(
    env: Environment,
    extra_files: Sequence[Path] = (),
    texts: Mapping[Path, str] | None = None,
    *,
    forgiving: bool = False,
) -> Evaluation:
    """Merge every layer; `texts` stands in for the content of some files.

    `forgiving`: drop what each problem of the user's own file is about, with
    a warning, instead of reporting it (the daemon's reading; see above).
    """
    skip: frozenset[str] = frozenset()
    dropped: list[str] = []
    while True:
        result = _evaluate_once(env, extra_files, texts or {}, skip)
        own = [p for p in result.problems if forgiving and p.file == env.user_config_file]
        if not own or "" in skip:  # (the file also given with --config: strict there)
            break
        keys = {_key_of(p) for p in own}
        if "" in keys or keys <= skip:
            # Unreadable, or nothing new to drop: the whole file goes.
            skip |= {""}
            dropped += [p.as_warning("the whole file is ignored") for p in own]
        else:
            skip |= keys
            dropped += [p.as_warning("ignored") for p in own]
    result.warnings[:0] = list(dict.fromkeys(dropped))
    note = env.system_dir_note()
    if note is not None and env.requested_system_dir != env.system_dir:
        result.warnings.insert(0, note)
    return result


def _key_of(problem: Problem) -> str:
    """What to drop for a problem: a key of KEYS, a table, an unknown name, "" the file."""
    key = problem.key.split("[", 1)[0]
    return key


def _evaluate_once(
    env: Environment,
    extra_files: Sequence[Path],
    texts: Mapping[Path, str],
    skip: frozenset[str],
) -> Evaluation:
    result = Evaluation()
    read = _read_layers(env, extra_files, texts, result, skip_user="" in skip)
    # Policy first: what it locks and bounds decides how the lower layers read.
    locked: dict[str, tuple[Entry, Origin]] = {}
    for layer_file, doc in read:
        if layer_file.layer is Layer.POLICY:
            locked.update(_read_policy(doc, result))
    for layer_file, doc in read:
        if layer_file.layer is not Layer.POLICY:
            user = layer_file.layer is Layer.USER
            _merge(layer_file.layer, doc, locked, result, skip if user else frozenset())
    for key, (entry, origin) in locked.items():
        bound = result.bounds.get(key)
        if bound is not None and not bound.allows(entry.value):
            result.problems.append(_out_of_bounds(bound, origin, entry.raw))
            continue
        result.values[key] = entry.value
        result.origins[key] = origin
    for where, key, bound in result.ignored:
        stands = show_value(KEYS[key].written(result.values[key]))
        result.warnings.append(
            f"{where}: {key}: warning: outside {bound.text}, the bounds set by policy "
            f"{bound.file}; {stands} stands"
        )

    _check_cross_rules(result)
    _check_exercises(result)
    # Report in reading order: layer by layer, file by file, line by line.
    order = {f.path: index for index, f in enumerate(result.files)}
    result.problems.sort(key=lambda p: (order.get(p.file, len(order)), p.line or 0))
    # A file read twice (the user's file also given with --config) says it once.
    result.problems = list(dict.fromkeys(result.problems))
    result.warnings = list(dict.fromkeys(result.warnings))
    return result


def _check_cross_rules(result: Evaluation) -> None:
    troubled = {p.key for p in result.problems}
    for rule in CROSS_RULES:
        keys = (rule.low, rule.high)
        if any(k not in result.values or k in troubled for k in keys) or rule.holds(result.values):
            continue
        # Blame the key set in the highest layer (the one just changed), and of
        # two in one file the later: "end" is wrong when it comes before "start".
        blamed = max(
            keys, key=lambda k: (result.origins[k].layer.rank, result.origins[k].line or 0)
        )
        origin = result.origins[blamed]
        found = show_value(KEYS[blamed].written(result.values[blamed]))
        expected = rule.expected(blamed, result.values)
        result.problems.append(
            Problem(origin.file, blamed, origin.line, origin.column, expected, found)
        )


def _check_exercises(result: Evaluation) -> None:
    """Let the exercise library judge the custom cards and `disabled` as a whole.

    Each table's fields were checked per file (with the library's own
    validator); this catches what needs every table at once: an id used twice
    or taken by a built-in, a `disabled` entry naming nothing.
    """
    keys = (CUSTOM_EXERCISES, DISABLED_EXERCISES)
    if any(p.key.startswith(keys) for p in result.problems) or any(
        k not in result.values for k in keys
    ):
        return
    from ergod.exercises.library import ExerciseConfigError, load_library

    expected = {
        CUSTOM_EXERCISES: "a usable exercise",
        DISABLED_EXERCISES: "exercise ids or focus areas",
    }
    try:
        library = load_library(result.values[CUSTOM_EXERCISES], result.values[DISABLED_EXERCISES])
    except ExerciseConfigError as exc:
        for problem in exc.problems:
            key = problem.key if problem.key in expected else CUSTOM_EXERCISES
            origin = result.origins[key]
            result.problems.append(
                Problem(origin.file, key, origin.line, origin.column, expected[key], problem.text)
            )
        return
    _warn_short_cards(result, library)


def _warn_short_cards(result: Evaluation, library: Library) -> None:
    """A card shorter than its break would be counted `ignored` though done: say so."""
    from ergod.core.rules import Kind
    from ergod.exercises.library import duration_warnings

    keys = {kind: f"breaks.{kind.value}.duration" for kind in Kind}
    if any(key not in result.values for key in keys.values()):
        return
    durations = {kind: float(result.values[key]) for kind, key in keys.items()}
    for key, text in duration_warnings(library, durations):
        origin = result.origins[key]
        where = Problem(origin.file, key, origin.line, origin.column, "", "").where
        result.warnings.append(f"{where}: {key}: warning: {text}")


def load_config(
    env: Environment, extra_files: Sequence[Path] = (), *, forgiving: bool = False
) -> LoadedConfig:
    """The effective configuration; ConfigError listing every problem if unusable.

    `forgiving`: the user's own file's problems become warnings (`evaluate`).
    """
    return evaluate(env, extra_files, forgiving=forgiving).loaded()


def check(env: Environment, paths: Sequence[Path] = ()) -> Evaluation:
    """The layers with `paths` added on the command line (those not already a layer)."""
    known = {f.path.resolve() for f in layer_files(env) if f.path is not None}
    return evaluate(env, [p for p in paths if p.resolve() not in known])


def check_files(env: Environment, paths: Sequence[Path] = ()) -> list[Problem]:
    """Every problem of the layers with `paths` added (those not already a layer)."""
    return check(env, paths).problems
