"""Small inline SVG charts for the HTML report: no scripts, no fonts or files from elsewhere. Pure."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from html import escape

TEXT = "#1f2933"
MUTED = "#616e7c"
GRID = "#d9e2ec"
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def _svg(name: str, title: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(name)}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" style="{FONT}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _text(x: float, y: float, label: str, *, anchor: str = "start", size: int = 13, fill: str = TEXT) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}">{escape(label)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str) -> str:
    return (
        f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
        f'fill="{fill}"><title>{escape(tip)}</title></rect>'
    )


def hbars(
    name: str,
    title: str,
    items: Sequence[tuple[str, int]],
    *,
    color: str,
    width: int = 560,
    value_label: Callable[[int], str] = str,
) -> str:
    """One horizontal bar per item under its label (labels can be long), longest = full width."""
    row, pad, value_room = 42, 6, 110
    height = pad * 2 + row * max(len(items), 1)
    top = max((v for _, v in items), default=0) or 1
    span = width - value_room
    body = []
    for i, (label, value) in enumerate(items):
        y = pad + i * row
        body.append(_text(0, y + 14, label))
        bar = span * value / top
        body.append(_rect(0, y + 20, bar, 16, color, f"{label}: {value_label(value)}"))
        body.append(_text(bar + 6, y + 33, value_label(value), fill=MUTED))
    if not items:
        body.append(_text(width / 2, pad + 17, "no calls", anchor="middle", fill=MUTED))
    return _svg(name, title, width, height, body)


def funnel(name: str, title: str, steps: Sequence[tuple[str, int]], *, color: str, width: int = 560) -> str:
    """Centered bars narrowing step by step, each step's count and the loss from the one before."""
    row, gap, pad, label_width = 34, 10, 8, 190
    height = pad * 2 + len(steps) * (row + gap)
    first = steps[0][1] if steps and steps[0][1] else 1
    span = width - label_width - 20
    centre = label_width + span / 2
    body = []
    previous = None
    for i, (label, value) in enumerate(steps):
        y = pad + i * (row + gap)
        bar = span * value / first
        body.append(_text(label_width - 10, y + row / 2 + 5, label, anchor="end"))
        share = f"{100 * value / first:.0f}%" if steps[0][1] else "-"
        tip = f"{label}: {value} ({share})"
        body.append(_rect(centre - bar / 2, y, bar, row, color, tip))
        caption = f"{value} ({share})"
        if previous is not None and previous > value:
            caption += f"  −{previous - value}"
        body.append(_text(centre, y + row / 2 + 5, caption, anchor="middle", fill=TEXT, size=12))
        previous = value
    return _svg(name, title, width, height, body)


def stacked_columns(
    name: str,
    title: str,
    buckets: Sequence[tuple[str, Mapping[str, int]]],
    colors: Mapping[str, str],
    *,
    width: int = 560,
    height: int = 260,
) -> str:
    """A column per bucket, stacked by series, with a legend and a y axis in whole counts."""
    left, right, top, bottom, legend = 40, 10, 12, 40, 26
    plot_h = height - top - bottom - legend
    plot_w = width - left - right
    tallest = max((sum(c.values()) for _, c in buckets), default=0) or 1
    step = max(1, -(-tallest // 4))  # about four grid lines, whole numbers
    y_max = step * -(-tallest // step)
    col = plot_w / max(len(buckets), 1)
    body = []
    for tick in range(0, y_max + 1, step):
        y = top + plot_h - plot_h * tick / y_max
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, str(tick), anchor="end", size=11, fill=MUTED))
    for i, (label, counts) in enumerate(buckets):
        x = left + i * col + col * 0.15
        base = top + plot_h
        for series, color in colors.items():
            value = counts.get(series, 0)
            if not value:
                continue
            h = plot_h * value / y_max
            base -= h
            body.append(_rect(x, base, col * 0.7, h, color, f"{label}, {series}: {value}"))
        body.append(_text(left + i * col + col / 2, top + plot_h + 16, label, anchor="middle", size=11))
    x = left
    for series, color in colors.items():
        y = height - 12
        body.append(f'<rect x="{x}" y="{y - 10}" width="12" height="12" fill="{color}"/>')
        body.append(_text(x + 16, y, series, size=12))
        x += 24 + 8 * len(series) + 20
    return _svg(name, title, width, height, body)
