"""`ergod config set` and `unset`: edit the user's file, keeping its comments.

The contract: the whole layered configuration is validated with the edit in
place BEFORE anything is written; a bad value, an unknown key, a key locked by
policy or a value outside a policy bound is refused (ConfigError, exit 2) and
the file is left untouched. The file is written atomically (a temporary file
in the same directory, then a rename), created with its directory if missing,
and edited with tomlkit so comments and layout stay as the user wrote them.
After a change, a running daemon is asked to reload over its control socket
(`reload_running_daemon`), never by a signal to a PID read from a file; a
daemon that refuses or cannot be reached is `EditResult.reload_failed`, the
file being written by then. The daemon, editing for itself ("This hurts"),
passes `reload=False` and reloads on its own thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ergod.config.document import toml_value, too_deep
from ergod.config.errors import ConfigError, Problem
from ergod.config.layers import CUSTOM_EXERCISES, evaluate
from ergod.config.schema import KEYS, SECTIONS
from ergod.config.values import FieldErrors, expected_text, show_value
from ergod.environment import Environment
from ergod.errors import ErgodError, did_you_mean


@dataclass(frozen=True)
class EditResult:
    """What an edit did: the file, whether it changed, the daemon told to reload."""

    path: Path
    changed: bool
    reloaded: str | None = None  # the daemon's answer, None when none runs (or not asked)
    reload_failed: str | None = None  # why a running daemon did not reload


def _refuse(path: Path, key: str, expected: str, found: str, hint: str = "") -> ConfigError:
    problem = Problem(path, key, None, None, expected, found, hint)
    return ConfigError([problem], headline=f"not changed: {path}")


def _check_key(env: Environment, key: str) -> None:
    path = env.user_config_file
    if key not in KEYS:
        hint = did_you_mean(key, sorted([*KEYS, *SECTIONS]))
        raise _refuse(path, key, "a known key", "an unknown key", hint)
    if key == CUSTOM_EXERCISES:
        expected = "a key set from the command line"
        raise _refuse(path, key, expected, "tables; edit the file for [[exercises.custom]]")


def command_line_value(key: str, text: str) -> object:
    """The TOML value meant by `text` for `key`: 3, true, ["a"], or a string."""
    if KEYS[key].text:
        return text
    try:
        return toml_value(text)
    except ValueError:
        return text


def _read_user_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError) as exc:
        raise _refuse(path, "", "a readable file", str(exc)) from None


def _edited_text(text: str, key: str, value: object | None) -> tuple[str, bool]:
    """`text` with `key` set to `value` (None: removed), and whether it changed."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    deep = too_deep(text)
    try:
        if deep is not None:  # tomlkit would recurse until RecursionError
            raise TOMLKitError(f"line {deep[0]} column {deep[1]}: {deep[2]}")
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise ConfigError(
            [Problem(None, "", None, None, "valid TOML", str(exc))],
            headline="not changed: the file is not valid TOML; fix it first",
        ) from None
    *tables, leaf = key.split(".")
    container: Any = doc
    parents: list[Any] = []
    for depth, name in enumerate(tables):
        if name not in container:
            if value is None:
                return text, False
            # An intermediate table like [breaks] need not appear on its own.
            super_table = depth < len(tables) - 1
            container.add(name, tomlkit.table(is_super_table=super_table))
        parents.append((container, name))
        container = container[name]
    if value is None:
        if leaf not in container:
            return text, False
        del container[leaf]
        # Drop tables the removal left empty, innermost first.
        for parent, name in reversed(parents):
            if len(parent[name]) == 0:
                del parent[name]
    else:
        container[leaf] = value
    new_text = doc.as_string()
    return new_text, new_text != text


def _validate(env: Environment, key: str, value: object | None, new_text: str) -> None:
    path = env.user_config_file
    before = evaluate(env)
    if value is not None and key in before.locked:
        origin = before.locked[key]
        stands = show_value(KEYS[key].written(before.values[key]))
        raise ConfigError(
            [Problem(path, key, None, None, "a key that policy does not lock", "a locked key")],
            headline=f"not changed: {key} is locked by policy {origin.file} (value {stands})",
        )
    if value is not None:
        try:
            parsed = KEYS[key].parse(value)
        except FieldErrors as exc:
            raise _refuse(path, key, str(exc), show_value(value)) from None
        except ValueError as exc:
            raise _refuse(path, key, expected_text(exc), show_value(value)) from None
        bound = before.bounds.get(key)
        if bound is not None and not bound.allows(parsed):
            expected = f"a value within {bound.text} (bounds set by policy {bound.file})"
            raise _refuse(path, key, expected, show_value(value))
    after = evaluate(env, texts={path: new_text})

    def shape(p: Problem) -> tuple[object, ...]:
        return (p.file, p.key, p.expected, p.found)

    old = {shape(p) for p in before.problems}
    new = [p for p in after.problems if shape(p) not in old]
    if new:
        raise ConfigError(new, headline=f"not changed: {path}: the result would not be valid")


def _write(path: Path, text: str) -> None:
    """Replace the user's file in one step, keeping its mode (0644 for a new one)."""
    from ergod.files import write_atomically

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    write_atomically(path, text, mode=mode)


def reload_running_daemon(env: Environment) -> str | None:
    """Ask a running daemon to reload; its answer, or None when none runs.

    Over the control socket, after checking that its directory is the user's
    own: a lock file's PID may be stale or planted, a socket there cannot be.
    A daemon that refuses or cannot be reached is an ErgodError (exit 1); the
    file is written by then, and the message says so.
    """
    from ergod.daemon.control import send_request
    from ergod.daemon.instance import check_runtime_dir
    from ergod.errors import NoDaemonError

    check_runtime_dir(env)
    try:
        # `ergod config` speaks English (docs/translating.md): so does the answer.
        result = send_request(env, {"command": "reload", "language": "en"})
    except NoDaemonError:
        return None
    message = result.get("message")
    return message if isinstance(message, str) and message else "configuration reloaded"


def _edit(env: Environment, key: str, value: object | None, reload: bool) -> EditResult:
    path = env.user_config_file
    text = _read_user_file(path)
    new_text, changed = _edited_text(text, key, value)
    _validate(env, key, value, new_text)
    if not changed:
        return EditResult(path, changed=False)
    try:
        _write(path, new_text)
    except OSError as exc:
        raise ErgodError(f"cannot write {path}: {exc.strerror or exc}") from None
    if not reload:
        return EditResult(path, changed=True)
    try:
        return EditResult(path, changed=True, reloaded=reload_running_daemon(env))
    except ErgodError as exc:
        return EditResult(path, changed=True, reload_failed=exc.message)


def set_value(env: Environment, key: str, text: str, *, reload: bool = True) -> EditResult:
    """Set `key` in the user's file to the value written `text` on a command line.

    `reload`: ask a running daemon to reload afterwards. The daemon itself
    passes False (it would be asking itself, and wait for itself) and reloads.
    """
    _check_key(env, key)
    return _edit(env, key, command_line_value(key, text), reload)


def unset_value(env: Environment, key: str, *, reload: bool = True) -> EditResult:
    """Remove `key` from the user's file, so lower layers decide it again."""
    _check_key(env, key)
    return _edit(env, key, None, reload)
