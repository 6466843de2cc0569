"""The tray icon's pictures, drawn in code: one per glance state, no icon theme needed.

A StatusNotifierItem may name a theme icon or send pixels (`IconPixmap`,
`a(iiay)`: width, height, ARGB32 in network byte order). Theme names look
different on every desktop and may be missing (Waybar falls back to
"image-missing"); pixels look the same everywhere, so ergod sends pixels.

Each state is a colour and a white mark, readable at 16 px:

* ok: a green disc;            schedule-only: a teal disc with a clock hand
* due: an amber disc with a ring gap (soon);  open: a red disc with "!"
* paused: a grey disc with two bars;  quiet: a blue disc with a bar (do not disturb)

Pure: `pixmaps(state)` computes (and caches) the images; nothing is read.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

SIZES = (16, 24, 32, 48)
_SAMPLES = 4  # per axis: 16 samples a pixel smooth the edges

Rgb = tuple[int, int, int]
COLORS: dict[str, Rgb] = {
    "ok": (0x2E, 0xA0, 0x43),
    "schedule-only": (0x1F, 0x8A, 0x8A),
    "due": (0xE0, 0x9A, 0x1B),
    "open": (0xD0, 0x3A, 0x3A),
    "paused": (0x80, 0x80, 0x80),
    "quiet": (0x3A, 0x6E, 0xD0),
    "off": (0x60, 0x60, 0x60),
}
WHITE: Rgb = (0xFF, 0xFF, 0xFF)

Mark = Callable[[float, float], bool]
"""Whether a point (unit square, 0..1 both ways, y down) is white."""


def _none(x: float, y: float) -> bool:
    return False


def _pause(x: float, y: float) -> bool:
    return 0.3 <= y <= 0.7 and (0.32 <= x <= 0.44 or 0.56 <= x <= 0.68)


def _bar(x: float, y: float) -> bool:
    return 0.25 <= x <= 0.75 and 0.43 <= y <= 0.57


def _bang(x: float, y: float) -> bool:
    stem = 0.44 <= x <= 0.56 and 0.2 <= y <= 0.6
    dot = (x - 0.5) ** 2 + (y - 0.74) ** 2 <= 0.07**2
    return stem or dot


def _gap(x: float, y: float) -> bool:
    """A white ring, open at the top right: time almost up."""
    r = math.hypot(x - 0.5, y - 0.5)
    angle = math.atan2(0.5 - y, x - 0.5)
    return 0.24 <= r <= 0.33 and not (0.0 <= angle <= math.pi / 2)


def _hand(x: float, y: float) -> bool:
    upright = 0.45 <= x <= 0.55 and 0.22 <= y <= 0.55
    across = 0.45 <= y <= 0.55 and 0.45 <= x <= 0.72
    return upright or across


MARKS: dict[str, Mark] = {
    "ok": _none,
    "schedule-only": _hand,
    "due": _gap,
    "open": _bang,
    "paused": _pause,
    "quiet": _bar,
    "off": _bar,
}


def draw(state: str, size: int) -> bytes:
    """One square ARGB32 image (network byte order) of `state`'s disc and mark."""
    color = COLORS[state]
    mark = MARKS[state]
    out = bytearray()
    for py in range(size):
        for px in range(size):
            disc = white = 0
            for sy in range(_SAMPLES):
                for sx in range(_SAMPLES):
                    x = (px + (sx + 0.5) / _SAMPLES) / size
                    y = (py + (sy + 0.5) / _SAMPLES) / size
                    if (x - 0.5) ** 2 + (y - 0.5) ** 2 <= 0.46**2:
                        disc += 1
                        white += mark(x, y)
            out += _pixel(color, disc, white)
    return bytes(out)


def _pixel(color: Rgb, disc: int, white: int) -> bytes:
    total = _SAMPLES * _SAMPLES
    if disc == 0:
        return b"\0\0\0\0"
    # Colour from the covered samples only; coverage goes to alpha.
    rgb = [
        round((c * (disc - white) + w * white) / disc) for c, w in zip(color, WHITE, strict=True)
    ]
    alpha = round(255 * disc / total)
    return bytes((alpha, *rgb))


@functools.cache
def pixmaps(state: str) -> tuple[tuple[int, int, bytes], ...]:
    """`IconPixmap`'s value for `state`: every size in `SIZES`."""
    return tuple((size, size, draw(state, size)) for size in SIZES)
