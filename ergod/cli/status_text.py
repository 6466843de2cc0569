"""The text of `ergod status`: a status object (`StatusView.to_json()`) as lines.

`render_status(result, now)` gives the lines a person reads, in the active
language (`ergod.i18n`): labels, durations, day names and decimal separators.
Quiet-time reasons are read back into the language (`ergod.reasons`). Names,
paths, the activity source's `why` and `advice`, and a reason with no known
wording are shown as the daemon sends them. Keys that are
missing are left out. Stdlib only (and `ergod.i18n`): `ergod status` starts fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ergod.daemon.barview import WEEKDAYS, break_name, kind_word
from ergod.durations import human_duration
from ergod.i18n import _, ngettext
from ergod.reasons import translated


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _tenths(value: float) -> str:
    """`1.5` with the reader's decimal separator (no Babel for one digit)."""
    whole, tenths = f"{value:.1f}".split(".")
    # Translators: a number with one decimal; write the separator your language uses.
    return _("{whole}.{tenths}").format(whole=whole, tenths=tenths)


def _paused_text(paused_until: object, now: datetime) -> str:
    if paused_until == "indefinitely":
        return _("paused until resume")
    if not isinstance(paused_until, str):
        return _("paused")
    return _("paused until {time}").format(time=_clock_text(paused_until, now))


def _headline(result: Mapping[str, Any]) -> str:
    version, pid = result.get("version"), result.get("pid")
    if version and pid is not None:
        text = _("ergod {version} running (pid {pid})").format(version=version, pid=pid)
    elif pid is not None:
        text = _("ergod running (pid {pid})").format(pid=pid)
    elif version:
        text = _("ergod {version} running").format(version=version)
    else:
        text = _("ergod running")
    parts = []
    source = result.get("source")
    if isinstance(source, Mapping) and source.get("name"):
        mode = ", ".join(str(source[k]) for k in ("protocol", "mode") if source.get(k))
        name = f"{source['name']} ({mode})" if mode else str(source["name"])
        parts.append(_("activity: {source}").format(source=name))
    if result.get("notifier"):
        parts.append(_("notifications: {notifier}").format(notifier=result["notifier"]))
    return text + (" \u2014 " + "; ".join(parts) if parts else "")


def _sitting_line(result: Mapping[str, Any]) -> str | None:
    if "sitting_seconds" not in result:
        return None
    sitting = _number(result["sitting_seconds"])
    if sitting is None:
        return _("sitting: not measured")
    idle = _number(result.get("idle_seconds"))
    if idle is None:
        return _("sitting for {duration}").format(duration=human_duration(sitting))
    return _("sitting for {duration} (idle {idle})").format(
        duration=human_duration(sitting), idle=human_duration(idle)
    )


def _open_line(result: Mapping[str, Any]) -> str | None:
    if "open_break" not in result:
        return None
    block = result["open_break"]
    if not isinstance(block, Mapping):
        return _("open: no break")
    name = break_name(str(block.get("kind", "?")))
    since = _number(block.get("since_seconds"))
    if since is None:
        text = _("open: {name}").format(name=name)
    else:
        text = _("open: {name} for {duration}").format(name=name, duration=human_duration(since))
    prompts, snoozes = block.get("prompts"), block.get("snoozes")
    if isinstance(prompts, int):
        text += ", " + ngettext("{count} prompt", "{count} prompts", prompts).format(count=prompts)
    if isinstance(snoozes, int):
        text += ", " + ngettext("{count} snooze", "{count} snoozes", snoozes).format(count=snoozes)
    return text


def _next_line(result: Mapping[str, Any]) -> str | None:
    if "next" not in result:
        return None
    block = result["next"]
    if not isinstance(block, Mapping):
        return _("next: nothing due")
    kind = kind_word(str(block.get("kind", "?")))
    delay = _number(block.get("in_seconds"))
    if delay is None:
        return _("next: {kind}").format(kind=kind)
    return _("next: {kind} in {duration}").format(kind=kind, duration=human_duration(delay))


def _attended_line(result: Mapping[str, Any]) -> str | None:
    reasons = result.get("attended")
    shown = [translated(str(r)) for r in reasons] if isinstance(reasons, list) else []
    if not shown:
        return None
    return _("present without input: {reasons}").format(reasons=", ".join(shown))


def _quiet_line(result: Mapping[str, Any], now: datetime) -> str | None:
    reasons = result.get("quiet")
    paused = result.get("paused_until")
    shown = [translated(str(r)) for r in reasons] if isinstance(reasons, list) else []
    if paused is not None:
        text = _paused_text(paused, now)
        shown = [text if r == "paused" else r for r in shown]
        if text not in shown:
            shown.insert(0, text)
    return _("quiet: {reasons}").format(reasons=", ".join(shown)) if shown else None


def _daily_line(result: Mapping[str, Any], now: datetime) -> str | None:
    block = result.get("daily_limit")
    if not isinstance(block, Mapping):
        return None
    limit = _number(block.get("limit_seconds"))
    active = _number(block.get("active_seconds"))
    shown = "?" if limit is None else human_duration(limit)
    if active is None:
        return _("today: active time not measured (daily limit {limit})").format(limit=shown)
    reached = block.get("reached_at")
    if isinstance(reached, str):
        return _("today: active {active}; daily limit {limit} reached at {time}").format(
            active=human_duration(active), limit=shown, time=_clock_text(reached, now)
        )
    return _("today: active {active} of the daily limit {limit}").format(
        active=human_duration(active), limit=shown
    )


def _clock_text(iso: str, now: datetime) -> str:
    """`14:30` today, `Mon 09:00` another day, for a local ISO time."""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    if when.date() == now.date():
        return when.strftime("%H:%M")
    return f"{_(WEEKDAYS[when.weekday()])} {when:%H:%M}"


def _resources_line(result: Mapping[str, Any]) -> str | None:
    parts = []
    uptime = _number(result.get("uptime_seconds"))
    if uptime is not None:
        parts.append(_("up {duration}").format(duration=human_duration(uptime)))
    rss = _number(result.get("rss_bytes"))
    if rss is not None:
        parts.append(_("memory {size} MiB").format(size=_tenths(rss / 1048576)))
    cpu = _number(result.get("cpu_seconds"))
    if cpu is not None:
        parts.append(_("CPU {seconds} s").format(seconds=_tenths(cpu)))
    return ", ".join(parts) or None


def render_status(result: Mapping[str, Any], now: datetime) -> list[str]:
    """The human summary of a status result, in the active language; keys
    that are missing are left out. Names, paths and the source's `why` and
    `advice` are shown as the daemon sends them."""
    lines = [_headline(result)]
    source = result.get("source")
    if isinstance(source, Mapping) and source.get("why"):
        lines.append(_("why: {why}").format(why=source["why"]))
    if isinstance(source, Mapping) and source.get("advice"):
        lines.append(_("advice: {advice}").format(advice=source["advice"]))
    for line in (
        _sitting_line(result),
        _open_line(result),
        _next_line(result),
        _quiet_line(result, now),
        _attended_line(result),
        _daily_line(result, now),
        _resources_line(result),
    ):
        if line is not None:
            lines.append(line)
    files = result.get("config_files")
    if isinstance(files, list) and files:
        lines.append(_("config: {files}").format(files=", ".join(str(f) for f in files)))
    if result.get("system_dir"):
        lines.append(_("system config: {directory}").format(directory=result["system_dir"]))
    if result.get("store"):
        lines.append(_("store: {store}").format(store=result["store"]))
    return lines
