"""`ergod config set` and `unset`: edit the user's file, keeping its comments.

The contract: the whole layered configuration is validated with the edit in
place BEFORE anything is written; a bad value, an unknown key, a key locked by
policy or a value outside a policy bound is refused (ConfigError, exit 2) and
the file is left untouched. The file is written atomically (a temporary file
in the same directory, then a rename), created with its directory if missing,
and edited with tomlkit so comments and layout stay as the user wrote them.
After a change, a running daemon is told to reload (`signal_running_daemon`).
"""

from __future__ import annotations

import os
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ergod.config.document import toml_value
from ergod.config.errors import ConfigError, Problem
from ergod.config.layers import CUSTOM_EXERCISES, evaluate
from ergod.config.schema import KEYS, SECTIONS, FieldErrors, expected_text, show_value
from ergod.environment import Environment
from ergod.errors import ErgodError, did_you_mean


@dataclass(frozen=True)
class EditResult:
    """What an edit did: the file, whether it changed, the daemon told to reload."""

    path: Path
    changed: bool
    reloaded_pid: int | None = None


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

    try:
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


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` with `text` so a reader sees the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def signal_running_daemon(env: Environment) -> int | None:
    """Ask a running daemon to reload its configuration; its PID, or None if none.

    The daemon holds `<runtime_dir>/ergod/ergod.lock` with its PID and reloads
    on SIGHUP. Signalled only if that process lives and is an ergod (so a stale
    lock whose PID was reused is left alone). To be replaced by a control-socket
    call once the daemon has one.
    """
    try:
        pid = int(env.lock_file.read_text(encoding="ascii").split()[0])
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError, IndexError):
        return None
    if pid <= 0 or b"ergod" not in cmdline or sys.platform == "win32":
        return None
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError:
        return None
    return pid


def _edit(env: Environment, key: str, value: object | None) -> EditResult:
    path = env.user_config_file
    text = _read_user_file(path)
    new_text, changed = _edited_text(text, key, value)
    _validate(env, key, value, new_text)
    if not changed:
        return EditResult(path, changed=False)
    try:
        write_atomically(path, new_text)
    except OSError as exc:
        raise ErgodError(f"cannot write {path}: {exc.strerror or exc}") from None
    return EditResult(path, changed=True, reloaded_pid=signal_running_daemon(env))


def set_value(env: Environment, key: str, text: str) -> EditResult:
    """Set `key` in the user's file to the value written `text` on a command line."""
    _check_key(env, key)
    return _edit(env, key, command_line_value(key, text))


def unset_value(env: Environment, key: str) -> EditResult:
    """Remove `key` from the user's file, so lower layers decide it again."""
    _check_key(env, key)
    return _edit(env, key, None)
