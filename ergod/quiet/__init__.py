"""Quiet-time probes: is a configured program running, a window full screen,
do-not-disturb on (spec section 6).

One Protocol, `QuietProbe` (in `base`, with what the probes share), one module
per question (`processes`, `fullscreen`, `dnd`); `build_probes(config.quiet,
environ, log)` makes the ones `[quiet]` asks for and this session can answer.
The probes are asked only right before an engine wake-up that may show a
prompt, and every `RECHECK` seconds while they hold quiet time on; see
docs/quiet-time.md. They look at names and window states only, never at
input. The state they feed is `ergod.core.quiet`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from ergod.quiet.base import QuietProbe

if TYPE_CHECKING:
    from ergod.config.schema import QuietConfig

__all__ = ["QuietProbe", "ask", "build_probes"]


def build_probes(
    config: QuietConfig, environ: Mapping[str, str], log: logging.Logger
) -> list[QuietProbe]:
    """The probes `[quiet]` asks for that this session can answer; logs the rest."""
    from ergod.quiet.dnd import DndProbe
    from ergod.quiet.fullscreen import fullscreen_probe
    from ergod.quiet.processes import ProcessProbe

    probes: list[QuietProbe] = []
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
    return probes


def ask(probes: Iterable[QuietProbe]) -> dict[str, str | None]:
    """Each probe's answer by name, for `QuietState.update`."""
    return {probe.name: probe.check() for probe in probes}
