"""Cinnamon idle time and return watch: Muffin's IdleMonitor, the shape of Mutter's.

The source is `ergod.activity.gnome.GnomeIdleSource` pointed at
`org.cinnamon.Muffin.IdleMonitor` on `/org/cinnamon/Muffin/IdleMonitor/Core`;
this module only gives it its own name in the source registry.
"""

from __future__ import annotations

from collections.abc import Mapping

from ergod.activity import gnome
from ergod.activity.base import Clock


def probe(clock: Clock, environ: Mapping[str, str]) -> gnome.GnomeIdleSource:
    """A Cinnamon source that answered one idle query; returned stopped."""
    return gnome.probe(clock, environ, gnome.CINNAMON)
