"""Plots as inline SVG, written out here: a report that needs no script and no network to show
them, and whose bytes depend only on the numbers (the release is reproducible byte for byte)."""
from __future__ import annotations

from html import escape

WIDTH = 640
BAR = 18  # px per bar of a horizontal bar chart
LABEL = 200  # px for the labels left of the bars
COLOURS = ("#3b6ea5", "#d08c2f")


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _svg(height: int, body: list[str], title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">'
            f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def empty(title: str, message: str) -> str:
    return _svg(30, [f'<text x="4" y="20" class="empty">{escape(message)}</text>'], title)


def bars(title: str, items: list[tuple[str, float]], empty_message: str = "nothing to show") -> str:
    """Horizontal bars, one per (label, value), in the order given."""
    if not items:
        return empty(title, empty_message)
    top = max(value for _, value in items) or 1
    span = WIDTH - LABEL - 70
    body = []
    for row, (label, value) in enumerate(items):
        y = row * BAR
        length = max(1.0, span * value / top)
        shown = label if len(label) <= 30 else label[:29] + "…"
        body.append(f'<text x="{LABEL - 6}" y="{y + 13}" text-anchor="end">{escape(shown)}</text>'
                    f'<rect x="{LABEL}" y="{y + 3}" width="{length:.1f}" height="{BAR - 5}" fill="{COLOURS[0]}">'
                    f"<title>{escape(label)}: {_number(value)}</title></rect>"
                    f'<text x="{LABEL + length + 4:.1f}" y="{y + 13}">{_number(value)}</text>')
    return _svg(len(items) * BAR + 4, body, title)


def columns(title: str, labels: list[str], series: list[tuple[str, list[float]]],
            empty_message: str = "nothing to show") -> str:
    """Vertical columns over `labels`, one colour per series (name, values), with a legend when
    there is more than one series."""
    if not labels or not any(any(values) for _, values in series):
        return empty(title, empty_message)
    height, bottom, left = 220, 180, 50
    top = max(max(values) for _, values in series) or 1
    slot = (WIDTH - left - 10) / len(labels)
    width = min(40.0, max(1.0, slot * 0.8 / len(series)))
    body = [f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" stroke="#888"/>',
            f'<text x="{left - 4}" y="14" text-anchor="end">{_number(top)}</text>',
            f'<text x="{left - 4}" y="{bottom}" text-anchor="end">0</text>']
    step = max(1, len(labels) // 12)  # at most ~12 labels under the axis
    for i, label in enumerate(labels):
        x = left + i * slot + slot * 0.1
        for s, (name, values) in enumerate(series):
            h = (bottom - 20) * values[i] / top
            body.append(f'<rect x="{x + s * width:.1f}" y="{bottom - h:.1f}" width="{width:.1f}" '
                        f'height="{h:.1f}" fill="{COLOURS[s % len(COLOURS)]}">'
                        f"<title>{escape(label)} {escape(name)}: {_number(values[i])}</title></rect>")
        if i % step == 0:
            body.append(f'<text x="{x + slot * 0.4:.1f}" y="{bottom + 14}" text-anchor="middle">'
                        f"{escape(label)}</text>")
    if len(series) > 1:
        for s, (name, _) in enumerate(series):
            x = WIDTH - 160 + s * 80
            body.append(f'<rect x="{x}" y="{height - 16}" width="10" height="10" fill="{COLOURS[s]}"/>'
                        f'<text x="{x + 14}" y="{height - 7}">{escape(name)}</text>')
    return _svg(height, body, title)
