"""Charts as inline SVG, drawn on the server: nothing to download, nothing from the internet,
readable with scripts off. A line chart of realised values per quarter against a target
trajectory."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 560, 220
LEFT, BOTTOM, TOP, RIGHT = 64, 34, 18, 12


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[str, Decimal | None]]  # (period, value)
    css: str  # realised | target


def line_chart(
    title: str,
    periods: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[Decimal], str] = str,
) -> str:
    """An accessible SVG: a title, one polyline per series, period labels, y-axis ticks."""
    values = [v for s in series for _, v in s.points if v is not None]
    top = max(values, default=Decimal(1)) or Decimal(1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(periods) - 1, 1)
    x_of = {p: LEFT + i * step for i, p in enumerate(periods)}

    def y(v: Decimal) -> float:
        return TOP + plot_h - float(v / top) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        tick = top * i / 4
        at = y(tick)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{at + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(tick))}</text>"
        )
    label_every = max(len(periods) // 8, 1)
    for i, p in enumerate(periods):
        if i % label_every == 0:
            parts.append(
                f'<text class="tick" x="{x_of[p]:.1f}" y="{HEIGHT - 12}" '
                f'text-anchor="middle">{escape(p)}</text>'
            )
    for s in series:
        points = " ".join(
            f"{x_of[p]:.1f},{y(v):.1f}" for p, v in s.points if v is not None and p in x_of
        )
        if points:
            parts.append(
                f'<polyline class="{s.css}" points="{points}">'
                f"<title>{escape(s.label)}</title></polyline>"
            )
    legend_x = LEFT
    for s in series:
        parts.append(f'<rect class="{s.css}-key" x="{legend_x}" y="2" width="10" height="10"/>')
        parts.append(f'<text class="legend" x="{legend_x + 14}" y="11">{escape(s.label)}</text>')
        legend_x += 24 + 7 * len(s.label)
    parts.append("</svg>")
    return "".join(parts)
