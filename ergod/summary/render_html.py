"""The weekly summary as one self-contained HTML page for people who never open a terminal.

Contract: `render_html(summaries)` returns a complete document with inline CSS
and inline SVG charts (sitting per day, longest bout per day, prompts followed
per day), no scripts, no external resources; every text is escaped. The chart
colours are `COLORS`, so a test can find the charts in a rendered image.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from ergod.durations import human_duration
from ergod.summary.model import KINDS, WeekSummary
from ergod.summary.wording import headline, percent, weekday

COLORS = {"sitting": "#2f6db5", "longest": "#e07b1f", "adherence": "#2e9d5b"}

_CSS = """
body { font-family: system-ui, sans-serif; color: #222; background: #fff;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: .2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.headline { font-size: 1.2em; background: #f3f6fa; padding: .8em 1em; border-radius: 6px; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5em; }
figure { margin: 0; }
figcaption { font-weight: 600; margin-bottom: .3em; }
table { border-collapse: collapse; margin-top: .5em; }
th, td { padding: .25em .8em; text-align: right; border-bottom: 1px solid #eee; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; font-size: .92em; margin-top: 2em; }
"""

_CHART_W, _CHART_H, _TOP, _BOTTOM = 340, 220, 24, 34


def render_html(summaries: Sequence[WeekSummary]) -> str:
    from ergod.exercises.library import DISCLAIMER, RED_FLAGS

    if not summaries:
        raise ValueError("no week to render")
    weeks = ", ".join(str(s.week) for s in summaries)
    body = "\n".join(_week(s) for s in summaries)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(f"Your week at the desk - ergod summary {weeks}")}</title>
<style>{_CSS}</style>
</head>
<body>
{body}
<p class="note">{escape(DISCLAIMER)} {escape(RED_FLAGS)}</p>
</body>
</html>
"""


def _week(summary: WeekSummary) -> str:
    _, line = headline(summary)
    first, last = summary.start, summary.end
    days = summary.days
    labels = [f"{d.date:%a}" for d in days]
    charts = [
        _chart(
            "Time sitting, per day",
            [d.sitting_s for d in days],
            labels,
            COLORS["sitting"],
            _short,
        ),
        _chart(
            "Longest stretch without a break, per day",
            [d.longest_bout_s for d in days],
            labels,
            COLORS["longest"],
            _short,
        ),
        _chart(
            "Break prompts followed, per day",
            [d.adherence for d in days],
            labels,
            COLORS["adherence"],
            percent,
            top=1.0,
        ),
    ]
    best = summary.best_day
    best_line = ""
    if best is not None:
        best_line = (
            f"<p>Best day: <strong>{escape(weekday(best.date))}</strong>, "
            f"{escape(percent(best.adherence))} of {best.shown} prompts followed.</p>"
        )
    return f"""<section>
<h1>Your week at the desk: {first:%A %d %B} to {last:%A %d %B %Y}</h1>
<p>ISO week {escape(str(summary.week))}, as measured by ergod from keyboard and mouse activity.</p>
<p class="headline">{escape(line)}</p>
{best_line}
<div class="charts">
{"".join(charts)}
</div>
<h2>Sitting</h2>
{_sitting_table(summary)}
<h2>Break prompts</h2>
{_breaks_table(summary)}
<p class="note">A <em>bout</em> is time at the keyboard and mouse without a pause of a few
minutes. A prompt is <em>followed</em> when you stepped away long enough after it.
<em>Merged</em> stretch prompts were folded into a movement break; <em>suppressed</em> ones
fell in quiet time (outside your hours, in a meeting, paused).</p>
</section>"""


def _short(seconds: float) -> str:
    """A bar label narrow enough for its bar: "6h51", "42m"."""
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}" if hours else f"{rest}m"


def _chart(
    title: str,
    values: Sequence[float | None],
    labels: Sequence[str],
    color: str,
    fmt: Callable[[float], str],
    top: float | None = None,
) -> str:
    peak = top if top is not None else max((v for v in values if v is not None), default=0.0)
    plot_h = _CHART_H - _TOP - _BOTTOM
    slot = _CHART_W / len(values)
    bar_w = slot * 0.62
    parts = [
        f'<line x1="0" y1="{_TOP + plot_h}" x2="{_CHART_W}" y2="{_TOP + plot_h}" '
        'stroke="#999" stroke-width="1"/>'
    ]
    for i, (value, label) in enumerate(zip(values, labels, strict=True)):
        x = i * slot + (slot - bar_w) / 2
        cx = i * slot + slot / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{_CHART_H - 12}" text-anchor="middle" '
            f'font-size="12">{escape(label)}</text>'
        )
        if value is None:
            parts.append(
                f'<text x="{cx:.1f}" y="{_TOP + plot_h - 4}" text-anchor="middle" '
                'font-size="10" fill="#999">none</text>'
            )
            continue
        height = plot_h * (value / peak) if peak > 0 else 0.0
        y = _TOP + plot_h - height
        if height > 0:
            parts.append(
                f'<rect x="{x:.0f}" y="{y:.0f}" width="{bar_w:.0f}" '
                f'height="{_TOP + plot_h - round(y)}" fill="{color}" shape-rendering="crispEdges">'
                f"<title>{escape(label)}: {escape(fmt(value))}</title></rect>"
            )
        parts.append(
            f'<text x="{cx:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
            f'font-size="10">{escape(fmt(value))}</text>'
        )
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_CHART_W}" height="{_CHART_H}" '
        f'viewBox="0 0 {_CHART_W} {_CHART_H}" role="img" aria-label="{escape(title)}">'
        + "".join(parts)
        + "</svg>"
    )
    return f"<figure><figcaption>{escape(title)}</figcaption>{svg}</figure>\n"


def _row(cells: Sequence[str], tag: str = "td") -> str:
    return "<tr>" + "".join(f"<{tag}>{escape(c)}</{tag}>" for c in cells) + "</tr>"


def _sitting_table(summary: WeekSummary) -> str:
    now, before = summary.totals.sitting, summary.previous.sitting

    def dur(value: float | None) -> str:
        return "-" if value is None else human_duration(value)

    rows = [
        _row(("", "This week", "Week before"), "th"),
        _row(("Total time sitting", dur(now.total_s), dur(before.total_s))),
        _row(("Bouts", str(now.bouts), str(before.bouts))),
        _row(("Typical bout (median)", dur(now.median_bout_s), dur(before.median_bout_s))),
        _row(("Longest bout", dur(now.longest_bout_s), dur(before.longest_bout_s))),
        _row(("Bouts over 30 min", str(now.bouts_over_30m), str(before.bouts_over_30m))),
        _row(("Bouts over 60 min", str(now.bouts_over_60m), str(before.bouts_over_60m))),
    ]
    return "<table>" + "".join(rows) + "</table>"


def _breaks_table(summary: WeekSummary) -> str:
    now = summary.totals
    names = [k.value.capitalize() for k in KINDS]
    rows = [_row(("", *names), "th")]
    for label, attr in (
        ("Due", "due"),
        ("Shown", "shown"),
        ("Taken", "taken"),
        ("Skipped", "skipped"),
        ("Ignored", "ignored"),
        ("Merged", "merged"),
        ("Suppressed (quiet time)", "suppressed"),
        ("Snoozes", "snoozes"),
    ):
        rows.append(_row((label, *(str(getattr(now.breaks[k], attr)) for k in KINDS))))
    rows.append(_row(("Followed", *(percent(now.breaks[k].adherence) for k in KINDS))))
    latency = [now.breaks[k].median_latency_s for k in KINDS]
    rows.append(
        _row(
            ("Typical delay before leaving", *("-" if v is None else f"{v:.0f} s" for v in latency))
        )
    )
    rows.append(
        _row(("All prompts followed, week before", percent(summary.previous.adherence), ""))
    )
    return "<table>" + "".join(rows) + "</table>"
