"""The weekly summary as one self-contained HTML page for people who never open a terminal.

Contract: `render_html(summaries)` returns a complete document (`lang="en"`)
with inline CSS and inline SVG charts (ergod/summary/charts.py: sitting per
day, longest time without a break per day, prompts followed per day, and the
hour of the day; with two weeks or more, a trend chart first), no scripts, no
external resources; every text is escaped. It reads on a phone (the charts
scale to the screen) and one week prints on one A4 page (print CSS). Colours
reach 4.5:1 on white for text and 3:1 for bars. The chart colours are `COLORS`,
so a test can find the charts in a rendered image.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from ergod.core.rules import Kind
from ergod.durations import human_duration
from ergod.i18n import N_, _, current, decimal, long_date, short_weekday
from ergod.summary import wording
from ergod.summary.charts import Chart, Series, figure
from ergod.summary.hours import HOURS, busiest_window
from ergod.summary.model import WeekSummary
from ergod.summary.suggest import suggest
from ergod.summary.wording import headline, percent, weekday

COLORS = {
    "sitting": "#2f6db5",
    "longest": "#b35400",
    "adherence": "#1f7a45",
    "hour_long": "#9c2f5e",
    "hour_short": "#6d8bc4",
    "trend_long": "#a23b72",
    "trend_movement": "#0b6e75",
}

_CSS = """
* { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; color: #222; background: #fff; margin: 0 auto;
       max-width: 1100px; padding: 1em; line-height: 1.45; }
h1 { font-size: 1.5em; margin: .4em 0 .2em; }
h2 { font-size: 1.2em; margin: 1.2em 0 .4em; border-bottom: 1px solid #ddd; }
.headline { font-size: 1.1em; background: #f3f6fa; padding: .5em 1em; border-radius: 6px; }
.headline p { margin: .3em 0; }
.suggestion { border-left: 5px solid #1f7a45; background: #eef7f1; padding: .5em 1em; }
.charts { display: flex; flex-wrap: wrap; gap: 1.2em; margin-top: 1em; }
figure { margin: 0; flex: 1 1 260px; max-width: 380px; }
figure.wide { flex-basis: 100%; max-width: 640px; }
figcaption { font-weight: 600; margin-bottom: .3em; }
svg.chart { display: block; width: 100%; height: auto; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: .2em 1.2em; padding: 0;
          margin: .3em 0; font-size: .9em; }
.swatch { display: inline-block; width: .9em; height: .9em; margin-right: .4em;
          vertical-align: -.1em; }
.tables { display: flex; flex-wrap: wrap; gap: 0 2em; }
.tables > div { flex: 1 1 300px; overflow-x: auto; }
table { border-collapse: collapse; }
th, td { padding: .2em .6em; text-align: right; border-bottom: 1px solid #ddd; }
th[scope=row] { text-align: left; font-weight: normal; }
.note { color: #555; font-size: .9em; }
@media print {
  @page { size: A4; margin: 9mm; }
  body { font-size: 8pt; max-width: none; padding: 0; line-height: 1.25; }
  h1 { font-size: 13pt; margin-top: 0; }
  h2 { font-size: 9.5pt; margin: .5em 0 .2em; }
  .headline, .suggestion { font-size: 9pt; padding: .3em .6em; }
  .headline, .suggestion, .swatch, svg { print-color-adjust: exact;
                                         -webkit-print-color-adjust: exact; }
  .charts { flex-wrap: nowrap; gap: 4mm; margin-top: .4em; }
  figure { flex: 1 1 0; max-width: none; break-inside: avoid; }
  figure.wide { flex: 0 0 100%; max-width: 150mm; }
  .tables { flex-wrap: nowrap; }
  section + section { break-before: page; }
  p { margin: .3em 0; }
}
"""


def render_html(summaries: Sequence[WeekSummary]) -> str:
    from ergod.exercises.library import DISCLAIMER, RED_FLAGS

    if not summaries:
        raise ValueError("no week to render")
    weeks = ", ".join(wording.week_name(s.week) for s in summaries)
    title = _("Your week at the desk - ergod summary {weeks}").format(weeks=weeks)
    sections = [_trend(summaries)] if len(summaries) > 1 else []
    sections += [_week(s) for s in summaries]
    body = "\n".join(sections)
    return f"""<!DOCTYPE html>
<html lang="{current().tag}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<main>
{body}
</main>
<footer><p class="note">{escape(_(DISCLAIMER))} {escape(_(RED_FLAGS))}</p></footer>
</body>
</html>
"""


def _week(summary: WeekSummary) -> str:
    _title, body = headline(summary)
    key = str(summary.week).lower()
    lines = "".join(f"<p>{escape(line)}</p>" for line in body.split("\n"))
    extra = []
    tip = suggest(summary)
    if tip is not None:
        extra.append(
            f'<p class="suggestion"><strong>{escape(_(wording.SUGGESTION))}</strong> '
            f"{escape(tip.text)}</p>"
        )
    if summary.totals.sitting.bouts:
        window = busiest_window(summary.totals.sitting.long_starts_by_hour)
        extra.append(f"<p>{escape(wording.long_bouts_when(window))}</p>")
    best = summary.best_day
    if best is not None:
        day = f"<strong>{escape(weekday(best.date))}</strong>"
        text = _("Best day: {day}, {percent} of {shown} prompts followed.")
        extra.append(
            "<p>"
            + escape(text).format(
                day=day, percent=escape(percent(best.adherence)), shown=best.shown
            )
            + "</p>"
        )
    heading = _("Your week at the desk: {first} to {last}").format(
        first=long_date(summary.start), last=long_date(summary.end)
    )
    measured = _("ISO week {week}, as measured by ergod from keyboard and mouse activity.").format(
        week=summary.week
    )
    sitting, prompts = _("Sitting"), _("Break prompts")
    return f"""<section aria-labelledby="{key}">
<h1 id="{key}">{escape(heading)}</h1>
<p>{escape(measured)}</p>
<div class="headline">{lines}</div>
{"".join(extra)}
<div class="charts">
{"".join(figure(c) for c in _day_charts(summary, key))}
</div>
<div class="charts">
{figure(_hour_chart(summary, key))}
</div>
<div class="tables">
<div><h2>{escape(sitting)}</h2>
{_sitting_table(summary)}</div>
<div><h2>{escape(prompts)}</h2>
{_breaks_table(summary)}</div>
</div>
<p class="note">{escape(_(_NOTE))}</p>
</section>"""


_NOTE = N_(
    "A bout is time at the keyboard and mouse without a pause of a few minutes. "
    "A prompt is followed when you stepped away long enough after it. "
    "Merged stretch prompts were folded into a movement break; suppressed ones "
    "fell in quiet time (outside your hours, in a meeting, paused)."
)


def _day_charts(summary: WeekSummary, key: str) -> list[Chart]:
    days = summary.days
    labels = [short_weekday(d.date) for d in days]
    names = [weekday(d.date) for d in days]

    def chart(name: str, title: str, values: Sequence[float | None], top: float | None) -> Chart:
        fmt = percent if name == "adherence" else _short
        series = [Series(title, values, COLORS[name])]
        return Chart(f"{key}-{name}", title, labels, series, fmt, names=names, top=top)

    return [
        chart("sitting", _(wording.CHART_SITTING), [d.sitting_s for d in days], None),
        chart("longest", _(wording.CHART_LONGEST), [d.longest_bout_s for d in days], None),
        chart("adherence", _(wording.CHART_FOLLOWED), [d.adherence for d in days], 1.0),
    ]


def _hour_chart(summary: WeekSummary, key: str) -> Chart:
    sitting = summary.totals.sitting
    short = [
        total - long for total, long in zip(sitting.by_hour, sitting.long_by_hour, strict=True)
    ]
    return Chart(
        f"{key}-hours",
        _(wording.CHART_HOURS),
        [f"{h:02d}" for h in range(HOURS)],
        [
            Series(_(wording.SERIES_LONG), sitting.long_by_hour, COLORS["hour_long"]),
            Series(_(wording.SERIES_SHORT), short, COLORS["hour_short"]),
        ],
        _short,
        names=[wording.hour_name(h) for h in range(HOURS)],
        stacked=True,
        width=480,
        height=180,
        tick_every=3,
        value_labels=False,
        skip_zero=True,
        empty=_(wording.HOURS_EMPTY),
    )


def _trend(summaries: Sequence[WeekSummary]) -> str:
    # Translators: a week number under a chart bar, "W47"; keep it to 3 or 4 characters.
    labels = [_("W{number}").format(number=f"{s.week.week:02d}") for s in summaries]
    chart = Chart(
        "trend",
        _(wording.CHART_TREND),
        labels,
        [
            Series(
                _(wording.TREND_LONG_SHARE),
                [s.totals.sitting.long_share for s in summaries],
                COLORS["trend_long"],
            ),
            Series(
                _(wording.TREND_MOVEMENT),
                [s.totals.breaks[Kind.MOVEMENT].adherence for s in summaries],
                COLORS["trend_movement"],
            ),
        ],
        percent,
        names=[wording.week_name(s.week) for s in summaries],
        top=1.0,
        width=480,
        height=200,
        tick_every=max(1, len(summaries) // 12),
        value_labels=len(summaries) <= 8,
    )
    return f"""<section class="trend" aria-labelledby="trend">
<h1 id="trend">{escape(wording.weeks_title(len(summaries)))}</h1>
<div class="charts">
{figure(chart)}
</div>
</section>"""


def _short(seconds: float) -> str:
    """A bar label narrow enough for its bar: "6h51", "42m"."""
    minutes = round(seconds / 60)
    hours, rest = divmod(minutes, 60)
    if hours:
        # Translators: a short duration on a chart bar, "6h51"; keep it as short.
        return _("{hours}h{minutes}").format(hours=hours, minutes=f"{rest:02d}")
    # Translators: minutes on a chart bar, "42m"; keep it as short.
    return _("{minutes}m").format(minutes=rest)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in header)
    body = "".join(
        f'<tr><th scope="row">{escape(row[0])}</th>'
        + "".join(f"<td>{escape(c)}</td>" for c in row[1:])
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _sitting_table(summary: WeekSummary) -> str:
    now, before = summary.totals.sitting, summary.previous.sitting

    def dur(value: float | None) -> str:
        return "-" if value is None else human_duration(value)

    return _table(
        ("", _("This week"), _("Week before")),
        (
            (_("In bouts over 30 min"), percent(now.long_share), percent(before.long_share)),
            (_("Per day at the desk"), dur(now.per_active_day_s), dur(before.per_active_day_s)),
            (_("Days at the desk"), str(now.days_active), str(before.days_active)),
            (_("Total time sitting"), dur(now.total_s), dur(before.total_s)),
            (_("Bouts"), str(now.bouts), str(before.bouts)),
            (_("Typical bout (median)"), dur(now.median_bout_s), dur(before.median_bout_s)),
            (
                _("Longest time without a break"),
                dur(now.longest_bout_s),
                dur(before.longest_bout_s),
            ),
            (_("Bouts over 30 min"), str(now.bouts_over_30m), str(before.bouts_over_30m)),
            (_("Bouts over 60 min"), str(now.bouts_over_60m), str(before.bouts_over_60m)),
        ),
    )


def _breaks_table(summary: WeekSummary) -> str:
    now, before = summary.totals.breaks, summary.previous.breaks
    kinds = (Kind.MOVEMENT, Kind.STRETCH)  # movement first, as in the headline
    from ergod.exercises.library import kind_name

    rows: list[tuple[str, ...]] = [(_("Followed"), *(percent(now[k].adherence) for k in kinds))]
    for label, attr in (
        (_("Due"), "due"),
        (_("Shown"), "shown"),
        (_("Taken"), "taken"),
        (_("Skipped"), "skipped"),
        (_("Ignored"), "ignored"),
        (_("Merged"), "merged"),
        (_("Suppressed (quiet time)"), "suppressed"),
        (_("Snoozes"), "snoozes"),
    ):
        rows.append((label, *(str(getattr(now[k], attr)) for k in kinds)))
    latency = [now[k].median_latency_s for k in kinds]
    rows.append(
        (
            _("Typical delay before leaving"),
            *(
                "-" if v is None else _("{seconds} s").format(seconds=decimal(v, 0))
                for v in latency
            ),
        )
    )
    rows.append((_("Followed, week before"), *(percent(before[k].adherence) for k in kinds)))
    return _table(("", *(kind_name(k).capitalize() for k in kinds)), rows)
