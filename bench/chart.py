"""A small hand-written SVG chart of the benchmark history (no plotting dependency).

Left: the five ratios of every recorded run (oldest to newest) against their targets.
Right: seconds per daily run over the 30-day history of the newest record, by stage.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

RATIOS = {
    "pipeline_over_floor": ("pipeline / floor", 2.0, "#1f77b4"),
    "gold_over_duckdb": ("gold step / DuckDB", 5.0, "#d62728"),
    "gates_share": ("gates share", 0.15, "#2ca02c"),
    "rerun_over_first": ("rerun / first", 1.1, "#9467bd"),
    "day_last_over_day1": ("day 30 / day 1", 1.1, "#ff7f0e"),
}
STAGE_COLORS = {
    "ingest": "#4e79a7",
    "gate_bronze": "#59a14f",
    "silver": "#f28e2b",
    "gate_silver": "#8cd17d",
    "gold": "#e15759",
    "gate_gold": "#b6992d",
    "publish": "#76b7b2",
}
W, H = 980, 380
PAD = 48


def _text(x, y, s, size=11, anchor="start", color="#333") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{color}" font-family="sans-serif">{escape(str(s))}</text>'
    )


def _ratios_panel(records: list[dict], x0: float, width: float) -> list[str]:
    out = [_text(x0, 22, "Ratios per bench run (dashed: target)", 13)]
    top, bottom = 40, H - PAD
    values = [
        r.get("ratios", {}).get(k) for r in records for k in RATIOS if r.get("ratios", {}).get(k)
    ]
    ymax = max([*values, *(t for _, t, _ in RATIOS.values()), 1.0]) * 1.1
    n = max(len(records), 1)

    def px(i):
        return x0 + 30 + (width - 40) * (i / max(n - 1, 1) if n > 1 else 0.5)

    def py(v):
        return bottom - (bottom - top) * (v / ymax)

    out.append(
        f'<line x1="{x0 + 30}" y1="{bottom}" x2="{x0 + width - 10}" y2="{bottom}" stroke="#999"/>'
    )
    out.append(f'<line x1="{x0 + 30}" y1="{top}" x2="{x0 + 30}" y2="{bottom}" stroke="#999"/>')
    for tick in range(0, 6):
        v = ymax * tick / 5
        out.append(_text(x0 + 26, py(v) + 4, f"{v:.1f}", 9, "end"))
    legend_y = top
    for key, (label, target, color) in RATIOS.items():
        out.append(
            f'<line x1="{x0 + 30}" y1="{py(target):.1f}" x2="{x0 + width - 10}" '
            f'y2="{py(target):.1f}" stroke="{color}" stroke-dasharray="4 3" stroke-opacity="0.6"/>'
        )
        points = [
            (px(i), py(r["ratios"][key]))
            for i, r in enumerate(records)
            if r.get("ratios", {}).get(key)
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in points:
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')
        out.append(
            f'<rect x="{x0 + width - 150}" y="{legend_y - 8}" width="10" height="10" '
            f'fill="{color}"/>'
        )
        out.append(_text(x0 + width - 136, legend_y + 1, f"{label} (<= {target:g})", 10))
        legend_y += 14
    for i, r in enumerate(records):
        label = f"{r.get('tier', '?')} {str(r.get('git', {}).get('commit', ''))[:7]}"
        out.append(_text(px(i), bottom + 14, label, 9, "middle"))
    return out


def _history_panel(record: dict | None, x0: float, width: float) -> list[str]:
    days = (record or {}).get("history", {}).get("days") or []
    tier = (record or {}).get("history", {}).get("tier", "?")
    out = [_text(x0, 22, f"Daily run seconds over the history (tier {tier}), newest run", 13)]
    if not days:
        out.append(_text(x0 + width / 2, H / 2, "no history recorded", 12, "middle"))
        return out
    top, bottom = 40, H - PAD
    ymax = max(d.get("seconds", 0) for d in days) * 1.15 or 1.0
    bar = (width - 40) / len(days)
    out.append(
        f'<line x1="{x0 + 30}" y1="{bottom}" x2="{x0 + width}" y2="{bottom}" stroke="#999"/>'
    )
    for tick in range(0, 6):
        v = ymax * tick / 5
        y = bottom - (bottom - top) * v / ymax
        out.append(_text(x0 + 26, y + 4, f"{v:.0f}", 9, "end"))
    for i, d in enumerate(days):
        x = x0 + 32 + i * bar
        y = bottom
        for stage, color in STAGE_COLORS.items():
            sec = d.get("stages", {}).get(stage, 0) or 0
            h = (bottom - top) * sec / ymax
            if h > 0:
                out.append(
                    f'<rect x="{x:.1f}" y="{y - h:.1f}" width="{max(bar - 2, 1):.1f}" '
                    f'height="{h:.1f}" fill="{color}">'
                    f"<title>day {i + 1} {stage}: {sec:.1f}s</title></rect>"
                )
                y -= h
        if i == 0 or (i + 1) % 5 == 0:
            out.append(_text(x + bar / 2, bottom + 14, str(i + 1), 9, "middle"))
    ly = top
    for stage, color in STAGE_COLORS.items():
        out.append(
            f'<rect x="{x0 + width - 90}" y="{ly - 8}" width="10" height="10" fill="{color}"/>'
        )
        out.append(_text(x0 + width - 76, ly + 1, stage, 10))
        ly += 14
    return out


def write_svg(records: list[dict], path: Path) -> Path:
    half = (W - 30) / 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}">',
        f'<rect width="{W}" height="{H}" fill="white"/>',
        *_ratios_panel(records[-20:], 10, half),
        *_history_panel(records[-1] if records else None, 20 + half, half),
        "</svg>",
    ]
    path.write_text("\n".join(parts) + "\n")
    return path
