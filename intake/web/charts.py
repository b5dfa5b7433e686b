"""Server-rendered SVG charts: no JavaScript, no external fonts, allowed by the strict CSP.

A chart is an image with a title and description for screen readers; the page always shows
the same numbers in a table beside it, which is the accessible form of the data.
"""

from __future__ import annotations

from datetime import date
from html import escape

from markupsafe import Markup

# Colour-blind-safe and at least 3:1 against white, as WCAG asks of graphics.
SERIES_COLOURS = ("#0072b2", "#d55e00", "#007a5e", "#6a3d9a", "#5c5c5c")


def _nice_ceiling(value: int) -> int:
    """The axis top: a round number at or above ``value`` that splits into 4 whole ticks."""
    if value <= 4:
        return 4
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 4, 8, 10):
        top = step * magnitude
        if value <= top and top % 4 == 0:
            return top
    return -(-value // 4) * 4


def stacked_weekly_bars(weeks: dict[date, dict[str, int]], series: tuple[str, ...], *,
                        title: str, width: int = 860, height: int = 300) -> Markup:
    """Stacked bars, one per week, one colour per series (area), with axes and a legend."""
    left, right, top, bottom = 48, 12, 28, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((sum(v.get(s, 0) for s in series) for v in weeks.values()), default=0)
    ceiling = _nice_ceiling(peak)
    slot = plot_w / max(1, len(weeks))
    bar_w = max(2.0, slot * 0.7)
    total = sum(sum(v.get(s, 0) for s in series) for v in weeks.values())
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{len(weeks)} weeks, {total} in all; the table below gives '
        f'every figure.</desc>',
    ]
    for tick in range(0, 5):
        value = ceiling * tick // 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#d0d0d0" stroke-width="1"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" '
                     f'font-size="12" fill="#0b0c0c">{value}</text>')
    label_every = max(1, round(len(weeks) / 12))
    for index, (week, counts) in enumerate(weeks.items()):
        x = left + slot * index + (slot - bar_w) / 2
        base = top + plot_h
        for number, name in enumerate(series):
            count = counts.get(name, 0)
            if not count:
                continue
            bar_h = plot_h * count / ceiling
            base -= bar_h
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" '
                         f'height="{bar_h:.1f}" fill="{SERIES_COLOURS[number % 5]}">'
                         f'<title>{escape(name)}, week of {week:%d %b %Y}: {count}</title></rect>')
        if index % label_every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" '
                         f'text-anchor="middle" font-size="11" fill="#0b0c0c">'
                         f'{week:%d %b}</text>')
    parts.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" '
                 f'y2="{top + plot_h}" stroke="#0b0c0c" stroke-width="1"/>')
    for number, name in enumerate(series):
        x = left + number * 120
        parts.append(f'<rect x="{x}" y="{height - 22}" width="14" height="14" '
                     f'fill="{SERIES_COLOURS[number % 5]}"/>')
        parts.append(f'<text x="{x + 20}" y="{height - 10}" font-size="13" '
                     f'fill="#0b0c0c">{escape(name)}</text>')
    if not weeks:
        parts.append(f'<text x="{left + 10}" y="{top + plot_h / 2}" font-size="14" '
                     f'fill="#0b0c0c">No referrals in this period.</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
