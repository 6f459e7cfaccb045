"""Small charts as SVG markup built on the server: no script, no chart library, nothing from a CDN,
and no inline style (the Content-Security-Policy forbids it): shapes carry classes that
`dashboard/static/dashboard/dashboard.css` colours. Every text that comes from data (team names)
is escaped; each chart has a `<title>` and a `<desc>` that say what it shows in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH = 560
LINE_HEIGHT = 180
BAR_ROW = 22
LEFT = 40  # room for the y axis' labels
RIGHT = 96  # room for the legend
TOP, BOTTOM = 12, 24
BAR_LABEL = 150  # room for the team names
BAR_VALUE = 48  # room for the number after a bar


@dataclass(frozen=True)
class Series:
    """One line: its name (legend), a CSS class for its colour, one value per day, and its link."""

    name: str
    css: str
    values: list[int]
    url: str


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    url: str


def _top(value: int) -> int:
    """A round maximum for the axis, at least `value`: 1, 2, 5, 10, 20, 50, ..."""
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def line_chart(*, title: str, days: list[date], series: list[Series]) -> SafeString:
    """Lines over days, a point per day, with the last value of each line in its legend (a link to
    its list)."""
    count = len(days)
    top = _top(max((max(s.values, default=0) for s in series), default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = LINE_HEIGHT - TOP - BOTTOM

    def x(i: int) -> float:
        return LEFT + (plot_w * i / (count - 1) if count > 1 else 0)

    def y(value: int) -> float:
        return TOP + plot_h - plot_h * value / top

    grid = format_html_join(
        "", '<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/><text class="axis" x="{}" y="{}">{}</text>',
        ((LEFT, f"{y(v):.1f}", LEFT + plot_w, f"{y(v):.1f}", LEFT - 6, f"{y(v) + 4:.1f}", v)
         for v in sorted({0, top // 2, top})),
    )
    ticks = format_html_join(
        "", '<text class="axis day" x="{}" y="{}">{}</text>',
        ((f"{x(i):.1f}", LINE_HEIGHT - 6, _day(days[i])) for i in sorted({0, count // 2, count - 1}) if count),
    )
    lines = format_html_join(
        "", '<polyline class="line {}" points="{}"><title>{}</title></polyline>',
        ((s.css, " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(s.values)), f"{s.name}: "
          + ", ".join(f"{_day(d)} {v}" for d, v in zip(days, s.values, strict=True)))
         for s in series),
    )
    legend = format_html_join(
        "", '<a href="{}"><rect class="key {}" x="{}" y="{}" width="10" height="10"/>'
            '<text class="legend" x="{}" y="{}">{} {}</text></a>',
        ((s.url, s.css, WIDTH - RIGHT + 12, TOP + 18 * n, WIDTH - RIGHT + 26, TOP + 18 * n + 9, s.name,
          s.values[-1] if s.values else 0) for n, s in enumerate(series)),
    )
    today = ", ".join(f"{s.name} {s.values[-1] if s.values else 0}" for s in series)
    desc = f"Open incidents at the end of each day from {_day(days[0])} to {_day(days[-1])}; now: {today}." \
        if days else "No days."
    return _svg(title, desc, LINE_HEIGHT, mark_safe(grid + ticks + lines + legend))


def bar_chart(*, title: str, bars: list[Bar]) -> SafeString:
    """Horizontal bars, largest first, each a link to the rows it counts."""
    if not bars:
        return _svg(title, "None.", BAR_ROW + TOP, format_html(
            '<text class="legend" x="{}" y="{}">None</text>', LEFT, TOP + 12))
    top = max(bar.value for bar in bars)
    room = WIDTH - BAR_LABEL - BAR_VALUE
    rows = format_html_join(
        "", '<a href="{}"><title>{}: {}</title><text class="name" x="{}" y="{}">{}</text>'
            '<rect class="bar" x="{}" y="{}" width="{}" height="{}"/>'
            '<text class="value" x="{}" y="{}">{}</text></a>',
        ((bar.url, bar.label, bar.value, BAR_LABEL - 8, TOP + BAR_ROW * n + 14, _clip(bar.label),
          BAR_LABEL, TOP + BAR_ROW * n + 3, f"{max(room * bar.value / top, 1):.1f}", BAR_ROW - 6,
          BAR_LABEL + room * bar.value / top + 6, TOP + BAR_ROW * n + 14, bar.value)
         for n, bar in enumerate(bars)),
    )
    desc = "; ".join(f"{bar.label}: {bar.value}" for bar in bars)
    return _svg(title, desc, TOP + BAR_ROW * len(bars) + 6, rows)


def _clip(label: str, length: int = 22) -> str:
    return label if len(label) <= length else f"{label[:length - 1]}…"


def _svg(title: str, desc: str, height: int, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title><desc>{}</desc>{}</svg>',
        WIDTH, height, WIDTH, height, title, desc, body,
    )
