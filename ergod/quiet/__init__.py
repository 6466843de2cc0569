"""Quiet-time and attended-time probes: a call, a configured program running, a
window full screen, do-not-disturb on, an idle inhibitor (spec section 6).

One Protocol, `QuietProbe` (in `base`, with what the probes share), one module
per question (`calls`, `processes`, `fullscreen`, `dnd`, `inhibitors`);
`build_probes(config.quiet, environ, log, activity=config.activity)` makes the
ones the configuration asks for and this session can answer. Each probe says
what its answer means: `quiet` (hold prompts back) and/or `attended` (the user
is at the desk without input). A
call is both; an idle inhibitor (a video) is attended only; the rest are quiet
only. `ask()` gives the quiet answers to `ergod.core.quiet.QuietState`,
`ask_attended()` the attended ones to `ergod.core.attended.AttendedState`;
`ergod.quiet.rounds` does both and says which engine events follow. When the
daemon asks is in docs/quiet-time.md. Probes look at names and states only,
never at input.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ergod.config.schema import Inhibitors
from ergod.quiet.base import QuietProbe

if TYPE_CHECKING:
    from ergod.config.schema import ActivityConfig, QuietConfig

__all__ = ["QuietProbe", "ask", "ask_attended", "build_probes"]


def build_probes(
    config: QuietConfig,
    environ: Mapping[str, str],
    log: logging.Logger,
    *,
    activity: ActivityConfig | None = None,
) -> list[QuietProbe]:
    """The probes `[quiet]` (and `[activity] inhibitors`, when `activity` is
    given) ask for that this session can answer; logs the rest."""
    from ergod.quiet.dnd import DndProbe
    from ergod.quiet.fullscreen import fullscreen_probe
    from ergod.quiet.processes import ProcessProbe

    probes: list[QuietProbe] = []
    if config.calls:
        from ergod.quiet.calls import CallProbe

        probes.append(CallProbe(environ, log))
    if config.processes:
        probes.append(ProcessProbe(config.processes, log))
    if config.fullscreen:
        fullscreen, why = fullscreen_probe(environ, log)
        if fullscreen is not None:
            probes.append(fullscreen)
        else:
            log.info("quiet.fullscreen: not watching fullscreen windows: %s", why)
    if config.dnd:
        address = environ.get("DBUS_SESSION_BUS_ADDRESS", "")
        if address:
            probes.append(DndProbe(address, log))
        else:
            log.info("quiet.dnd: not reading do-not-disturb: no D-Bus session bus")
    if activity is not None and activity.inhibitors is Inhibitors.PRESENCE:
        from ergod.quiet.inhibitors import InhibitorProbe

        probes.append(InhibitorProbe(environ, log))
    return probes


def ask(probes: Iterable[QuietProbe]) -> dict[str, str | None]:
    """Each quiet probe's answer by name, for `QuietState.update`."""
    return {probe.name: probe.check() for probe in probes if probe.quiet}


def ask_attended(probes: Iterable[QuietProbe]) -> dict[str, str | None]:
    """Each attended probe's answer by name, for `AttendedState.update`."""
    return {probe.name: probe.check() for probe in probes if probe.attended}
