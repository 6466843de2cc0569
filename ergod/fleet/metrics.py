"""Aggregate metrics for IT: a Prometheus node_exporter textfile, opt-in, no personal data.

Contract:
* `snapshot(env, config, up=..., now=...)` reads the adherence store read-only
  (a missing store is all zeros) and returns a `Snapshot`; `render()` writes it
  in the text exposition format; `parse()` reads back exactly what `render()`
  writes (and refuses anything else); `merge()` adds up several users.
* Metrics: `ergod_up`, `ergod_schedule_only` (up, but in schedule-only
  mode), `ergod_build_info{version}`, `ergod_prompts_total{kind,outcome}`
  (every due break in the store, by how it ended),
  `ergod_breaks_shown_total{kind,outcome}` (those of them that were shown:
  the weekly summary's `shown`), `ergod_sitting_bouts_total`, and over the
  last 7 days
  `ergod_longest_bout_seconds` and `ergod_adherence_ratio` (taken / shown, the
  weekly summary's definition; absent when nothing was shown). Nothing names
  the user and no timestamp of activity is written.
* `write_textfile(env, config, up=...)` writes `[metrics] textfile` with
  `write_file` (ergod.files' atomic write, mode 0644 so node_exporter can
  read it). A path may hold `{uid}`, so one policy line gives every user a
  file of their own in a shared directory; when another user already made
  that file there, the error says whose it is.
  `TextfileRefresher.refresh(config, up=..., schedule_only=...)` is the
  daemon's call: every `[metrics] interval` with `up=True` and its mode, and
  once with `up=False` when it stops;
  it logs a failure once instead of raising.
* `parse()` refuses anything one user's `render()` would not have written: a
  label, a metric, a value (`ergod_up` and `ergod_schedule_only` are 0 or 1,
  counts are whole numbers).
  Merging the per-user files of a shared directory is ergod.fleet.collect.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ergod import __version__
from ergod.core.model import Outcome
from ergod.core.rules import Kind
from ergod.environment import Environment
from ergod.errors import ErgodError

if TYPE_CHECKING:
    from ergod.config import Config

WINDOW = timedelta(days=7)
MAX_FILE_BYTES = 64 * 1024
# Outcomes a stored break can have; `pending` exists only inside the engine.
OUTCOMES: tuple[Outcome, ...] = tuple(o for o in Outcome if o is not Outcome.PENDING)
KINDS: tuple[Kind, ...] = tuple(Kind)

_HELP = {
    "ergod_up": ("gauge", "ergod daemons running when written (per user 0 or 1; host: summed)"),
    "ergod_schedule_only": ("gauge", "ergod daemons up in schedule-only mode (host: summed)"),
    "ergod_build_info": ("gauge", "ergod daemons by version (per user 1; host: summed)"),
    "ergod_prompts_total": ("counter", "Due breaks in the adherence store, by kind and outcome"),
    "ergod_breaks_shown_total": ("counter", "Due breaks that were shown, by kind and outcome"),
    "ergod_sitting_bouts_total": ("counter", "Sitting bouts in the adherence store"),
    "ergod_longest_bout_seconds": ("gauge", "Longest sitting bout of the last 7 days"),
    "ergod_adherence_ratio": ("gauge", "Breaks taken per break prompted, last 7 days"),
}
_SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^{}]*)\})? (?P<value>\S+)$")
_LABEL = re.compile(r'^(?P<key>[a-z_]+)="(?P<value>[A-Za-z0-9_.+-]{0,64})"$')


class MetricsError(ErgodError):
    """The metrics file could not be written or a per-user file was unusable."""


@dataclass(frozen=True)
class Snapshot:
    """What one metrics file says; a host file is the merge of several."""

    up: int
    versions: Mapping[str, int]
    prompts: Mapping[tuple[str, str], int]  # (kind, outcome) -> count
    bouts: int
    longest_bout_s: float
    adherence: float | None
    shown: Mapping[tuple[str, str], int] = field(default_factory=dict)  # of `prompts`
    schedule_only: int = 0


def _zero_prompts() -> dict[tuple[str, str], int]:
    return {(k.value, o.value): 0 for k in KINDS for o in OUTCOMES}


def snapshot(
    env: Environment, config: Config, *, up: bool, now: datetime, schedule_only: bool = False
) -> Snapshot:
    """This user's figures from the store (read-only; a missing store counts as empty)."""
    from ergod.store import MissingStoreError, open_reader

    prompts = _zero_prompts()
    shown_ever = _zero_prompts()
    bouts = 0
    longest = 0.0
    taken = shown = 0
    since = now - WINDOW
    ever = datetime(1970, 1, 1, tzinfo=timezone.utc)
    later = now + timedelta(days=1)  # rows written with a clock slightly ahead
    try:
        reader = open_reader(config.store.db_path(env))
    except MissingStoreError:
        reader = None
    if reader is not None:
        with reader:
            for row in reader.breaks_between(ever, later):
                key = (row.kind.value, row.outcome.value)
                prompts[key] = prompts.get(key, 0) + 1
                if row.first_prompt is not None:
                    shown_ever[key] = shown_ever.get(key, 0) + 1
                if row.due >= since and row.first_prompt is not None:
                    shown += 1
                    taken += row.outcome is Outcome.TAKEN
            all_bouts = reader.bouts_between(ever, later)
            bouts = len(all_bouts)
            longest = max((b.length for b in all_bouts if b.start >= since), default=0.0)
    return Snapshot(
        up=int(up),
        versions={__version__: 1},
        prompts=prompts,
        bouts=bouts,
        longest_bout_s=longest,
        adherence=taken / shown if shown else None,
        shown=shown_ever,
        schedule_only=int(up and schedule_only),
    )


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _labels(pairs: Iterable[tuple[str, str]]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in pairs) + "}"


def render(snap: Snapshot) -> str:
    """The text exposition format, one HELP and TYPE per metric."""
    samples: dict[str, list[str]] = {name: [] for name in _HELP}
    samples["ergod_up"].append(f"ergod_up {snap.up}")
    samples["ergod_schedule_only"].append(f"ergod_schedule_only {snap.schedule_only}")
    for version, count in sorted(snap.versions.items()):
        samples["ergod_build_info"].append(
            f"ergod_build_info{_labels([('version', version)])} {count}"
        )
    for (kind, outcome), count in sorted(snap.prompts.items()):
        labels = _labels([("kind", kind), ("outcome", outcome)])
        samples["ergod_prompts_total"].append(f"ergod_prompts_total{labels} {count}")
    for (kind, outcome), count in sorted({**_zero_prompts(), **snap.shown}.items()):
        labels = _labels([("kind", kind), ("outcome", outcome)])
        samples["ergod_breaks_shown_total"].append(f"ergod_breaks_shown_total{labels} {count}")
    samples["ergod_sitting_bouts_total"].append(f"ergod_sitting_bouts_total {snap.bouts}")
    samples["ergod_longest_bout_seconds"].append(
        f"ergod_longest_bout_seconds {_number(snap.longest_bout_s)}"
    )
    if snap.adherence is not None:
        samples["ergod_adherence_ratio"].append(f"ergod_adherence_ratio {_number(snap.adherence)}")
    lines = []
    for name, (kind, text) in _HELP.items():
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", *samples[name]]
    return "\n".join(lines) + "\n"


def _allowed_labels(name: str, labels: dict[str, str]) -> bool:
    if name == "ergod_build_info":
        return set(labels) == {"version"}
    if name in ("ergod_prompts_total", "ergod_breaks_shown_total"):
        return (
            set(labels) == {"kind", "outcome"}
            and labels["kind"] in {k.value for k in KINDS}
            and labels["outcome"] in {o.value for o in OUTCOMES}
        )
    return not labels


def parse(text: str) -> Snapshot:
    """A Snapshot from a file `render()` wrote; ValueError for anything else."""
    up = bouts = schedule_only = 0
    longest = 0.0
    adherence: float | None = None
    versions: dict[str, int] = {}
    prompts = _zero_prompts()
    shown = _zero_prompts()
    seen: set[str] = set()
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = _SAMPLE.match(line)
        if match is None or match["name"] not in _HELP:
            raise ValueError("a line that is not an ergod metric")
        name = match["name"]
        labels: dict[str, str] = {}
        for pair in filter(None, (match["labels"] or "").split(",")):
            label = _LABEL.match(pair)
            if label is None:
                raise ValueError(f"a label of {name} that ergod does not write")
            labels[label["key"]] = label["value"]
        if not _allowed_labels(name, labels):
            raise ValueError(f"labels of {name} that ergod does not write")
        value = float(match["value"])
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} is not a finite count")
        if not _plausible(name, value):
            raise ValueError(f"{name} {match['value']} is not a value one user's ergod writes")
        key = name + (_labels(sorted(labels.items())) if labels else "")
        if key in seen:
            raise ValueError(f"{name} twice")
        seen.add(key)
        if name == "ergod_up":
            up = int(value)
        elif name == "ergod_schedule_only":
            schedule_only = int(value)
        elif name == "ergod_build_info":
            versions[labels["version"]] = int(value)
        elif name == "ergod_prompts_total":
            prompts[(labels["kind"], labels["outcome"])] = int(value)
        elif name == "ergod_breaks_shown_total":
            shown[(labels["kind"], labels["outcome"])] = int(value)
        elif name == "ergod_sitting_bouts_total":
            bouts = int(value)
        elif name == "ergod_longest_bout_seconds":
            longest = value
        else:
            adherence = value
    if "ergod_up" not in seen:
        raise ValueError("no ergod_up")
    return Snapshot(
        up, versions, prompts, bouts, longest, adherence, shown=shown, schedule_only=schedule_only
    )


_MAX_COUNT = 10**9  # 400 days of a break every second is 3.5e7
_MAX_BOUT = (WINDOW + timedelta(days=1)).total_seconds()


def _plausible(name: str, value: float) -> bool:
    """Whether one user's daemon could have written `value` for `name`."""
    if name in ("ergod_up", "ergod_schedule_only", "ergod_build_info"):
        return value in (0.0, 1.0)
    if name == "ergod_adherence_ratio":
        return value <= 1.0
    if name == "ergod_longest_bout_seconds":
        return value <= _MAX_BOUT
    return value.is_integer() and value <= _MAX_COUNT


def merge(snaps: Iterable[Snapshot]) -> Snapshot:
    """Several users' snapshots as one host's."""
    snaps = list(snaps)
    versions: dict[str, int] = {}
    prompts = _zero_prompts()
    shown = _zero_prompts()
    for snap in snaps:
        for version, count in snap.versions.items():
            versions[version] = versions.get(version, 0) + count
        for key, count in snap.prompts.items():
            prompts[key] = prompts.get(key, 0) + count
        for key, count in snap.shown.items():
            shown[key] = shown.get(key, 0) + count
    ratios = [s.adherence for s in snaps if s.adherence is not None]
    return Snapshot(
        up=sum(s.up for s in snaps),
        versions=versions,
        prompts=prompts,
        bouts=sum(s.bouts for s in snaps),
        longest_bout_s=max((s.longest_bout_s for s in snaps), default=0.0),
        adherence=sum(ratios) / len(ratios) if ratios else None,
        shown=shown,
        schedule_only=sum(s.schedule_only for s in snaps),
    )


def write_file(path: Path, text: str) -> None:
    """Replace `path` with `text` in one step (mode 0644); MetricsError says why not."""
    from ergod.files import write_atomically

    try:
        write_atomically(path, text, mode=0o644)
    except OSError as exc:
        raise MetricsError(f"cannot write metrics to {path}: {_why(path, exc)}") from None


def _why(path: Path, exc: OSError) -> str:
    getuid = getattr(os, "getuid", None)
    try:
        owner: int | None = path.lstat().st_uid
    except OSError:
        owner = None
    if getuid is not None and owner is not None and owner != getuid():
        # In a sticky shared directory only a file's owner (or root) may replace it.
        return (
            f"it belongs to uid {owner}, not to you (uid {getuid()}), so ergod cannot "
            "replace it; ask an administrator to remove it"
        )
    return exc.strerror or str(exc)


def textfile_path(env: Environment, config: Config) -> Path | None:
    """`[metrics] textfile` with `~` and `{uid}` filled in; None when metrics are off."""
    path = config.metrics.textfile_path(env)
    if path is None:
        return None
    getuid = getattr(os, "getuid", None)
    uid = str(getuid()) if getuid is not None else "0"
    return Path(str(path).replace("{uid}", uid))


def write_textfile(
    env: Environment,
    config: Config,
    *,
    up: bool = True,
    now: datetime | None = None,
    schedule_only: bool = False,
) -> Path | None:
    """Refresh the configured metrics file; the path written, None when metrics are off.

    Raises MetricsError (cannot write) or ergod.store.StoreError (store unreadable).
    """
    path = textfile_path(env, config)
    if path is None:
        return None
    moment = now or datetime.now(timezone.utc)
    snap = snapshot(env, config, up=up, now=moment, schedule_only=schedule_only)
    write_file(path, render(snap))
    return path


class TextfileRefresher:
    """The daemon's side of `write_textfile`: call `refresh()` from any one thread.

    A failure (directory missing, disk full, store unreadable) is logged once,
    not every interval, and the recovery once; the daemon carries on either way.
    """

    def __init__(self, env: Environment, log: logging.Logger) -> None:
        self._env = env
        self._log = log
        self._failing: str | None = None

    def refresh(
        self, config: Config, *, up: bool = True, schedule_only: bool = False
    ) -> Path | None:
        """Write the file now; the path written, None when off or failed."""
        try:
            path = write_textfile(self._env, config, up=up, schedule_only=schedule_only)
        except ErgodError as exc:
            if exc.message != self._failing:
                self._log.warning("metrics not written: %s", exc.message)
            self._failing = exc.message
            return None
        if self._failing is not None and path is not None:
            self._log.info("metrics written to %s again", path)
        self._failing = None
        return path
