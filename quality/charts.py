"""Small inline SVG charts for the data-quality report (no JavaScript, no external files)."""

from __future__ import annotations

from datetime import date
from html import escape

WIDTH, HEIGHT = 320, 110
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 44, 8, 10, 22
COLORS = {"line": "#2563eb", "failed": "#dc2626", "warning": "#d97706", "grid": "#e5e7eb"}


def _x(i: int, n: int) -> float:
    inner = WIDTH - PAD_LEFT - PAD_RIGHT
    return PAD_LEFT + (inner * i / (n - 1) if n > 1 else inner / 2)


def _y(value: float, top: float) -> float:
    inner = HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + inner * (1 - (value / top if top else 0))


def _frame(title: str, top_label: str, days: list[date], body: str) -> str:
    first, last = (days[0].isoformat(), days[-1].isoformat()) if days else ("", "")
    bottom = HEIGHT - PAD_BOTTOM
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{WIDTH - PAD_RIGHT}" y2="{PAD_TOP}" '
        f'stroke="{COLORS["grid"]}"/>'
        f'<line x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - PAD_RIGHT}" y2="{bottom}" '
        f'stroke="#9ca3af"/>'
        f'<text x="{PAD_LEFT - 4}" y="{PAD_TOP + 4}" text-anchor="end">{escape(top_label)}</text>'
        f'<text x="{PAD_LEFT - 4}" y="{bottom}" text-anchor="end">0</text>'
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 6}">{first}</text>'
        f'<text x="{WIDTH - PAD_RIGHT}" y="{HEIGHT - 6}" text-anchor="end">{last}</text>'
        f"{body}</svg>"
    )


def line_chart(title: str, points: list[tuple[date, float]]) -> str:
    """Values over dates as a line with a dot per date (a tooltip shows date and value)."""
    points = sorted(points)
    days = [d for d, _ in points]
    top = max((v for _, v in points), default=0) or 1
    coords = [(_x(i, len(points)), _y(v, top)) for i, (_, v) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    body = f'<polyline fill="none" stroke="{COLORS["line"]}" stroke-width="2" points="{path}"/>'
    for (x, y), (day, value) in zip(coords, points, strict=True):
        body += (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLORS["line"]}">'
            f"<title>{day.isoformat()}: {value:,.0f}</title></circle>"
        )
    return _frame(title, f"{top:,.0f}", days, body)


def failure_chart(title: str, rows: list[tuple[date, float, float]]) -> str:
    """Per date, the share of checks that failed (red) and warned (amber), stacked bars."""
    rows = sorted(rows)
    days = [d for d, _, _ in rows]
    inner = WIDTH - PAD_LEFT - PAD_RIGHT
    width = max(2.0, min(24.0, inner / max(len(rows), 1) - 2))
    body = ""
    for i, (day, failed, warned) in enumerate(rows):
        x = _x(i, len(rows)) - width / 2
        x = min(max(x, PAD_LEFT), WIDTH - PAD_RIGHT - width)
        y_failed = _y(failed, 1.0)
        y_warned = _y(failed + warned, 1.0)
        tip = f"{day.isoformat()}: {failed:.1%} failed, {warned:.1%} warnings"
        body += (
            f"<g><title>{tip}</title>"
            f'<rect x="{x:.1f}" y="{y_failed:.1f}" width="{width:.1f}" '
            f'height="{HEIGHT - PAD_BOTTOM - y_failed:.1f}" fill="{COLORS["failed"]}"/>'
            f'<rect x="{x:.1f}" y="{y_warned:.1f}" width="{width:.1f}" '
            f'height="{y_failed - y_warned:.1f}" fill="{COLORS["warning"]}"/></g>'
        )
    return _frame(title, "100%", days, body)
