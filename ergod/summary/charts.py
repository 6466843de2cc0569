"""Bar charts as inline SVG for the HTML summary: labelled for screen readers, scaled to the page.

Contract: `figure(chart)` returns one `<figure>`: a visible caption, an `<svg
role="img">` named by its own `<title>` and described by a `<desc>` that reads
every value out in words (a screen reader hears the data, not "image"), and a
legend when the chart has more than one series; a chart wider than `WIDE` is a
`<figure class="wide">`. Series are drawn side by side
per slot, or stacked (`stacked=True`, the first series at the bottom, a white
line between parts so they are told apart without colour). The SVG has a
viewBox, so CSS scales it to the width of a phone or a printed page. All text is
escaped; no scripts, nothing fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from ergod.i18n import N_, _

_TOP, _BOTTOM = 22, 30
WIDE = 400  # a chart wider than this gets a line of its own (`<figure class="wide">`)
AXIS = "#767676"  # 4.5:1 on white
MUTED = "#595959"  # text for "none": 7:1 on white


def _NONE() -> str:
    # Translators: a chart's value for a day with no figure.
    return _("none")


@dataclass(frozen=True)
class Series:
    label: str  # for the legend and the description
    values: Sequence[float | None]
    color: str


@dataclass(frozen=True)
class Chart:
    id: str  # unique in the page: the SVG's title and desc ids start with it
    title: str
    labels: Sequence[str]  # one per slot, under the bars
    series: Sequence[Series]
    fmt: Callable[[float], str]
    names: Sequence[str] | None = None  # the slots as read out; default: labels
    top: float | None = None  # the scale's top; default: the largest bar
    stacked: bool = False
    width: int = 340
    height: int = 220
    tick_every: int = 1  # a label under every n-th slot
    value_labels: bool = True  # the value above each bar
    skip_zero: bool = False  # leave slots with nothing out of the description
    empty: str = N_("No data.")


def figure(chart: Chart) -> str:
    legend = ""
    if len(chart.series) > 1:
        items = "".join(
            f'<li><span class="swatch" style="background:{s.color}"></span>{escape(s.label)}</li>'
            for s in chart.series
        )
        legend = f'<ul class="legend">{items}</ul>'
    wide = ' class="wide"' if chart.width > WIDE else ""
    return (
        f"<figure{wide}><figcaption>{escape(chart.title)}"
        f"</figcaption>{svg(chart)}{legend}</figure>\n"
    )


def describe(chart: Chart) -> str:
    """The values in words: "Mon: 8h00; Tue: 6h55" (series named when several)."""
    names = chart.names if chart.names is not None else chart.labels
    parts = []
    for i, name in enumerate(names):
        values = [s.values[i] for s in chart.series]
        if chart.skip_zero and not any(values):
            continue
        if len(chart.series) == 1:
            value = values[0]
            parts.append(f"{name}: {_NONE() if value is None else chart.fmt(value)}")
        else:
            each = ", ".join(
                f"{s.label} {_NONE() if v is None else chart.fmt(v)}"
                for s, v in zip(chart.series, values, strict=True)
            )
            parts.append(f"{name}: {each}")
    return "; ".join(parts) + "." if parts else _(chart.empty)


def svg(chart: Chart) -> str:
    w, h = chart.width, chart.height
    plot_h = h - _TOP - _BOTTOM
    base = _TOP + plot_h
    slots = len(chart.labels)
    slot = w / slots
    peak = chart.top if chart.top is not None else _peak(chart)
    parts = [f'<line x1="0" y1="{base}" x2="{w}" y2="{base}" stroke="{AXIS}" stroke-width="1"/>']
    if not chart.value_labels and peak > 0:
        # No number on each bar: the top of the scale, so bars read as amounts.
        parts.append(
            f'<line x1="0" y1="{_TOP}" x2="{w}" y2="{_TOP}" stroke="#ddd" stroke-width="1"/>'
        )
        parts.append(_text(2, _TOP - 6, chart.fmt(peak), 11, anchor="start"))
    groups = 1 if chart.stacked else len(chart.series)
    bar_w = slot * 0.7 / groups
    for i, label in enumerate(chart.labels):
        cx = i * slot + slot / 2
        if i % chart.tick_every == 0:
            parts.append(_text(cx, h - 10, label, 12))
        y = float(base)
        for g, series in enumerate(chart.series):
            value = series.values[i]
            x = i * slot + slot * 0.15 + (0 if chart.stacked else g * bar_w)
            if value is None:
                parts.append(_text(x + bar_w / 2, base - 4, _NONE(), 10, MUTED))
                continue
            height = plot_h * (value / peak) if peak > 0 else 0.0
            top = y - height if chart.stacked else base - height
            if height > 0:
                tip = f"{chart.labels[i]}, {series.label}: {chart.fmt(value)}"
                line = 1 if chart.stacked else 0
                parts.append(
                    f'<rect x="{x:.1f}" y="{top:.1f}" width="{bar_w:.1f}" height="{height:.1f}" '
                    f'fill="{series.color}" stroke="#fff" stroke-width="{line}" '
                    f'shape-rendering="crispEdges"><title>{escape(tip)}</title></rect>'
                )
            if chart.value_labels:
                parts.append(_text(x + bar_w / 2, top - 5, chart.fmt(value), 10))
            if chart.stacked:
                y = top
    title_id, desc_id = f"{chart.id}-title", f"{chart.id}-desc"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-labelledby="{title_id} {desc_id}">'
        f'<title id="{title_id}">{escape(chart.title)}</title>'
        f'<desc id="{desc_id}">{escape(describe(chart))}</desc>' + "".join(parts) + "</svg>"
    )


def _peak(chart: Chart) -> float:
    if chart.stacked:
        totals = [sum(s.values[i] or 0.0 for s in chart.series) for i in range(len(chart.labels))]
        return max(totals, default=0.0)
    return max((v for s in chart.series for v in s.values if v is not None), default=0.0)


def _text(
    x: float, y: float, text: str, size: int, fill: str = "#222", anchor: str = "middle"
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{fill}">{escape(text)}</text>'
    )
