"""The weekly summary as a terminal report: headline (movement first), the hours
where long bouts cluster, the week's suggestion, a day table with bar charts,
sitting and break tables, the not-medical-advice line.

Contract: `render_text(summary, color=False)` returns lines no wider than 80
columns; ANSI colour only when the caller asks (the CLI asks when stdout is a TTY).
`render_weeks(summaries, color)` is the reports one after the other and, for two
weeks or more, the trend of `long_share` and movement adherence as sparklines.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence

from ergod.core.rules import Kind
from ergod.durations import human_duration
from ergod.i18n import N_, _, decimal, short_date
from ergod.summary import wording
from ergod.summary.hours import busiest_window
from ergod.summary.model import KINDS, KindStats, SittingStats, WeekSummary
from ergod.summary.suggest import suggest
from ergod.summary.wording import headline, percent

WIDTH = 80
BAR_WIDTH = 20
_EIGHTHS = " ▏▎▍▌▋▊▉"
_SPARKS = "▁▂▃▄▅▆▇█"
TREND_WEEKS = 40  # the sparkline's most weeks: 80 columns
# Translators: the rows of the summary's break table: how many breaks fell due, were
# shown, taken (the person got up), skipped, ignored, merged into another, suppressed
# (quiet time), still pending; how many snoozes.
_COUNTS = {
    "due": N_("due"),
    "shown": N_("shown"),
    "taken": N_("taken"),
    "skipped": N_("skipped"),
    "ignored": N_("ignored"),
    "merged": N_("merged"),
    "suppressed": N_("suppressed"),
    "pending": N_("pending"),
    "snoozes": N_("snoozes"),
}
_BOLD, _BLUE, _ORANGE, _RESET = "\033[1m", "\033[34m", "\033[33m", "\033[0m"


def bar(value: float, top: float, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells, `value / top` of it filled, to an eighth of a cell."""
    if top <= 0 or value <= 0:
        return " " * width
    eighths = round(min(value / top, 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    text = "█" * full + (_EIGHTHS[part] if part else "")
    return text.ljust(width)


def render_text(summary: WeekSummary, color: bool = False) -> str:
    def paint(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    _title, body = headline(summary)
    heading = _("ergod weekly summary {week}").format(week=wording.week_name(summary.week))
    span = _("{first} to {last}").format(
        first=short_date(summary.start), last=short_date(summary.end, year=True)
    )
    if len(f"{heading}  ({span})") <= WIDTH:
        lines = [paint(_BOLD, heading) + f"  ({span})", ""]
    else:
        lines = [paint(_BOLD, heading), f"({span})", ""]
    for paragraph in body.split("\n"):
        lines += [*textwrap.wrap(paragraph, WIDTH), ""]
    if summary.totals.sitting.bouts:
        window = busiest_window(summary.totals.sitting.long_starts_by_hour)
        lines += [*textwrap.wrap(wording.long_bouts_when(window), WIDTH), ""]
    tip = suggest(summary)
    if tip is not None:
        lines += [*textwrap.wrap(paint(_BOLD, _(wording.SUGGESTION)) + " " + tip.text, WIDTH), ""]
    lines += [
        *_day_table(summary, paint),
        "",
        *_sitting_table(summary),
        "",
        *_breaks_table(summary),
        "",
    ]
    best = summary.best_day
    if best is not None:
        lines.append(
            _("Best day: {day}, {percent} of {shown} prompts followed.").format(
                day=short_date(best.date), percent=percent(best.adherence), shown=best.shown
            )
        )
        lines.append("")
    lines += _disclaimer()
    return "\n".join(lines) + "\n"


def render_weeks(summaries: Sequence[WeekSummary], color: bool = False) -> str:
    """Each week's report, then (two weeks or more) the trend lines."""
    text = "\n".join(render_text(s, color) for s in summaries)
    if len(summaries) < 2:
        return text
    return text + "\n" + "\n".join(trend_lines(summaries)) + "\n"


def sparkline(values: Sequence[float | None]) -> str:
    """One cell per value on a 0 to 1 scale; a week with no figure is a dot."""
    return "".join(
        "·" if v is None else _SPARKS[min(int(v * len(_SPARKS)), len(_SPARKS) - 1)] for v in values
    )


def trend_lines(summaries: Sequence[WeekSummary]) -> list[str]:
    """The share in long bouts and the movement breaks taken, week by week."""
    weeks = list(summaries)[-TREND_WEEKS:]
    rows = (
        (_(wording.TREND_LONG_SHARE), [s.totals.sitting.long_share for s in weeks]),
        (_(wording.TREND_MOVEMENT), [s.totals.breaks[Kind.MOVEMENT].adherence for s in weeks]),
    )
    lines = textwrap.wrap(wording.trend_title(weeks[0].week, weeks[-1].week, len(weeks)), WIDTH)
    for label, values in rows:
        line = f"{sparkline(values)}  {percent(values[0])} -> {percent(values[-1])}"
        if len(label) > 32:  # a long label gets a line of its own
            lines += [f"  {label}", f"  {'':<32} {line}"]
        else:
            lines.append(f"  {label:<32} {line}")
    return lines


def _day_table(summary: WeekSummary, paint: Callable[[str, str], str]) -> list[str]:
    top = max((d.sitting_s for d in summary.days), default=0.0)
    # Translators: the day table's headings; the report is 80 columns, so keep them short.
    day, sitting, bouts = _("Day"), _("Sitting"), _("Bouts")
    longest, followed = _("Longest"), _("Followed")
    # A heading longer than its column widens it; the bars give up the room.
    wide = (max(5, len(bouts)), max(11, len(longest)), max(13, len(followed)))
    width = BAR_WIDTH - (sum(wide) - 29)
    rows = [
        f"{day:<14} {sitting:<{width}} {'':>11} {bouts:>{wide[0]}} "
        f"{longest:>{wide[1]}} {followed:>{wide[2]}}"
    ]
    for d in summary.days:
        rows.append(
            f"{short_date(d.date):<14} "
            + paint(_BLUE, bar(d.sitting_s, top, width))
            + f" {human_duration(d.sitting_s):>11} {d.bouts:>{wide[0]}}"
            f" {human_duration(d.longest_bout_s):>{wide[1]}}"
            f" {f'{d.taken}/{d.shown}':>{wide[2] - 5}} {percent(d.adherence):>4}"
        )
    return rows


def _sitting_table(summary: WeekSummary) -> list[str]:
    now, before = summary.totals.sitting, summary.previous.sitting

    def duration(s: SittingStats, attr: str) -> str:
        value = getattr(s, attr)
        return "-" if value is None else human_duration(value)

    def change_duration(attr: str) -> str:
        a, b = getattr(now, attr), getattr(before, attr)
        if a is None or b is None:
            return "-"
        sign = "+" if a >= b else "-"
        return sign + human_duration(abs(a - b))

    def change_count(attr: str) -> str:
        return f"{getattr(now, attr) - getattr(before, attr):+d}"

    rows: list[tuple[str, str, str, str]] = [
        (_("Sitting"), _("this week"), _("week before"), _("change")),
        (
            _("total"),
            duration(now, "total_s"),
            duration(before, "total_s"),
            change_duration("total_s"),
        ),
        (_("bouts"), str(now.bouts), str(before.bouts), change_count("bouts")),
        (
            _("median bout"),
            duration(now, "median_bout_s"),
            duration(before, "median_bout_s"),
            change_duration("median_bout_s"),
        ),
        (
            _("longest bout"),
            duration(now, "longest_bout_s"),
            duration(before, "longest_bout_s"),
            change_duration("longest_bout_s"),
        ),
        (
            _("bouts over 30 min"),
            str(now.bouts_over_30m),
            str(before.bouts_over_30m),
            change_count("bouts_over_30m"),
        ),
        (
            _("bouts over 60 min"),
            str(now.bouts_over_60m),
            str(before.bouts_over_60m),
            change_count("bouts_over_60m"),
        ),
    ]
    return _table(rows, (18, 14, 14, 14))


def _breaks_table(summary: WeekSummary) -> list[str]:
    now, before = summary.totals, summary.previous
    from ergod.exercises.library import kind_name

    header = (_("Breaks"), *(kind_name(k) for k in KINDS), _("all, week before"))

    def row(label: str, cell: Callable[[KindStats], str], prev: str) -> tuple[str, ...]:
        return (label, *(cell(now.breaks[k]) for k in KINDS), prev)

    def total(attr: str) -> str:
        return str(sum(getattr(before.breaks[k], attr) for k in KINDS))

    rows: list[tuple[str, ...]] = [header]
    for attr, label in _COUNTS.items():
        rows.append((_(label), *(str(getattr(now.breaks[k], attr)) for k in KINDS), total(attr)))
    rows.append(row(_("followed"), lambda k: percent(k.adherence), percent(before.adherence)))
    rows.append(row(_("median latency"), _latency, ""))
    return _table(rows, (18, 14, 14, 18))


def _latency(stats: KindStats) -> str:
    if stats.median_latency_s is None:
        return "-"
    return _("{seconds} s").format(seconds=decimal(stats.median_latency_s, 0))


def _table(rows: Sequence[Sequence[str]], widths: Sequence[int]) -> list[str]:
    out = []
    for i, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        line = " ".join(cells).rstrip()
        out.append(line)
        if i == 0:
            out.append("-" * len(line))
    return out


def _disclaimer() -> list[str]:
    from ergod.exercises.library import DISCLAIMER, RED_FLAGS

    return [*textwrap.wrap(_(DISCLAIMER), WIDTH), *textwrap.wrap(_(RED_FLAGS), WIDTH)]
