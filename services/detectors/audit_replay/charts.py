"""Inline SVG charts of alerts over time, drawn by hand: the report must open offline, with no
JavaScript and no fonts or libraries from a network.

One chart shows one series: live alerts as bars, replayed alerts as a line with
dots (they sit on the bar tops when replay matches live), a candidate
configuration as a dashed line, and buckets where live and replay differ shaded
red. Each bucket has a ``<title>`` tooltip with its counts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from services.detectors.audit_replay.report import RuleSeries

LIVE = "#b6c6da"
REPLAYED = "#1d4ed8"
CANDIDATE = "#c2410c"
DIFFERENT = "#fde2e2"
GRID = "#e5e7eb"
INK = "#6b7280"
LABEL_WIDTH = 44
"""Pixels per time label on the x axis: fewer labels on a narrow chart."""


def alerts_chart(series: RuleSeries, labels: Sequence[str], *, width: int, height: int) -> str:
    left, right, top, bottom = 34, 6, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    slot = plot_w / max(len(labels), 1)
    peak = nice_ceiling(max((*series.live, *series.replayed, *(series.candidate or ())), default=0))

    def y(value: float) -> float:
        return top + plot_h - value / peak * plot_h

    def x(index: int) -> float:
        return left + (index + 0.5) * slot

    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{escape(series.rule_id)}" class="chart">'
        )
    ]
    parts += [
        f'<rect x="{left + i * slot:.1f}" y="{top}" width="{slot:.1f}" height="{plot_h}" fill="{DIFFERENT}"/>'
        for i in series.differing_buckets
    ]
    for tick in ticks(peak):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 5}" y="{y(tick) + 3.5:.1f}" text-anchor="end" fill="{INK}" font-size="10">{tick}</text>'
        )
    bar = max(1.0, slot * 0.72)
    parts += [
        f'<rect x="{x(i) - bar / 2:.1f}" y="{y(v):.1f}" width="{bar:.1f}" height="{top + plot_h - y(v):.1f}" fill="{LIVE}"/>'
        for i, v in enumerate(series.live)
        if v
    ]
    parts.append(_line(series.replayed, x, y, REPLAYED, dashed=False, dots=len(labels) <= 62))
    if series.candidate is not None:
        parts.append(_line(series.candidate, x, y, CANDIDATE, dashed=True, dots=False))
    step = max(1, math.ceil(len(labels) * LABEL_WIDTH / plot_w))
    parts += [
        f'<text x="{x(i):.1f}" y="{height - 6}" text-anchor="middle" fill="{INK}" font-size="10">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % step == 0
    ]
    parts += [
        f'<rect x="{left + i * slot:.1f}" y="{top}" width="{slot:.1f}" height="{plot_h}" fill="transparent">'
        f"<title>{escape(_tooltip(series, labels, i))}</title></rect>"
        for i in range(len(labels))
    ]
    parts.append("</svg>")
    return "".join(parts)


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... that is at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(int(m * magnitude) for m in (1, 2, 5, 10) if m * magnitude >= value)


def ticks(peak: int) -> tuple[int, ...]:
    return (0, peak // 2, peak) if peak % 2 == 0 else (0, peak)


def _line(
    values: Sequence[int],
    x: Callable[[int], float],
    y: Callable[[float], float],
    colour: str,
    *,
    dashed: bool,
    dots: bool,
) -> str:
    points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    parts = [
        f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.8"{dash}/>'
    ]
    if dots:
        parts += [
            f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.4" fill="{colour}"/>'
            for i, v in enumerate(values)
        ]
    return "".join(parts)


def _tooltip(series: RuleSeries, labels: Sequence[str], index: int) -> str:
    text = (
        f"{labels[index]} · 实时 live {series.live[index]} · 回放 replay {series.replayed[index]}"
    )
    if series.candidate is not None:
        text += f" · 候选 candidate {series.candidate[index]}"
    return text
