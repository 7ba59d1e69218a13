"""Charts as inline SVG, drawn on the server: nothing to download, nothing from the internet,
readable with scripts off. A line chart of values per quarter against a target trajectory.

What makes it tell the truth: every value is a point (a quarter with one value is a dot,
not an invisible line of one point); the axes are labelled, with ticks at round numbers
from zero; text is at least 13 px at the chart's full width; approved and submitted values
differ by colour and by marker shape (circles, squares), the target by a dashed line; and
every chart comes with the table of its figures (`Chart.rows`), which the page shows
beside it for anyone who cannot see the picture.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 600, 280
LEFT, BOTTOM, TOP, RIGHT = 78, 58, 40, 16
FONT = 13  # px at full width (the page never shows the chart narrower than 560 px)
MARKER = {"realised": "circle", "approved": "square", "target": "none"}


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[str, Decimal | None]]  # (period, value)
    css: str  # realised | approved | target


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    periods: list[str]
    series: list[Series]

    @property
    def rows(self) -> list[tuple[str, list[Decimal | None]]]:
        """The figures drawn, a row per period that has any: the chart's data table."""
        values = [dict(s.points) for s in self.series]
        out = []
        for p in self.periods:
            row = [v.get(p) for v in values]
            if any(x is not None for x in row):
                out.append((p, row))
        return out


def nice_ticks(top: Decimal, count: int = 4) -> list[Decimal]:
    """Ticks at round numbers from 0 to at least `top`: steps of 1, 2, 2.5 or 5 x 10^n."""
    if top <= 0:
        return [Decimal(i) for i in range(count + 1)]
    raw = top / count
    magnitude = Decimal(10) ** (raw.adjusted())
    step = next(
        m * magnitude
        for m in (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))
        if m * magnitude >= raw
    )
    ticks = [Decimal(0)]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    # whole ticks as whole numbers (2000, never 2E+3), others without trailing zeros
    return [t.quantize(Decimal(1)) if t == t.to_integral_value() else t.normalize() for t in ticks]


def period_labels(periods: Sequence[str]) -> dict[str, str]:
    """Which periods get a label under the axis: all of up to eight; else each year's Q1
    (written as the year), so labels never overlap."""
    if len(periods) <= 8:
        return {p: p for p in periods}
    return {p: p.split("-")[0] for p in periods if p.endswith("-Q1") or "-" not in p}


def line_chart(
    title: str,
    periods: Sequence[str],
    series: Sequence[Series],
    fmt: Callable[[Decimal], str] = str,
    x_label: str = "",
    y_label: str = "",
) -> Chart:
    """An accessible SVG chart (title, axes with labels and round ticks, a legend, points
    and lines per series) and its figures."""
    values = [v for s in series for _, v in s.points if v is not None]
    ticks = nice_ticks(max(values, default=Decimal(0)))
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(periods) - 1, 1)
    single = len(periods) == 1
    x_of = {p: LEFT + (plot_w / 2 if single else i * step) for i, p in enumerate(periods)}

    def y(v: Decimal) -> float:
        return TOP + plot_h - float(v / top) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" font-size="{FONT}">',
        f"<title>{escape(title)}</title>",
    ]
    parts += _y_axis(ticks, y, fmt, y_label)
    parts += _x_axis(periods, x_of, x_label)
    for s in series:
        parts += _series(s, x_of, y)
    parts += _legend(series)
    parts.append("</svg>")
    return Chart(title, "".join(parts), list(periods), list(series))


def _y_axis(
    ticks: Sequence[Decimal],
    y: Callable[[Decimal], float],
    fmt: Callable[[Decimal], str],
    label: str,
) -> list[str]:
    parts = []
    for tick in ticks:
        at = y(tick)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at:.1f}" y2="{at:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{at + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(tick))}</text>"
        )
    if label:
        middle = TOP + (HEIGHT - TOP - BOTTOM) / 2
        parts.append(
            f'<text class="axis" x="14" y="{middle:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 14 {middle:.1f})">{escape(label)}</text>'
        )
    return parts


def _x_axis(periods: Sequence[str], x_of: dict[str, float], label: str) -> list[str]:
    base = HEIGHT - BOTTOM
    parts = [f'<line class="axis-line" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}"/>']
    for p, text in period_labels(periods).items():
        parts.append(
            f'<text class="tick" x="{x_of[p]:.1f}" y="{base + 18}" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    if label:
        parts.append(
            f'<text class="axis" x="{LEFT + (WIDTH - LEFT - RIGHT) / 2:.1f}" y="{HEIGHT - 8}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    return parts


def _series(s: Series, x_of: dict[str, float], y: Callable[[Decimal], float]) -> list[str]:
    points = [(x_of[p], y(v)) for p, v in s.points if v is not None and p in x_of]
    parts = []
    if len(points) > 1:
        line = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in points)
        parts.append(
            f'<polyline class="{s.css}" points="{line}"><title>{escape(s.label)}</title></polyline>'
        )
    marker = MARKER.get(s.css, "circle")
    if marker == "none" and len(points) > 1:
        return parts
    for x, yy in points:
        if marker == "square":
            parts.append(
                f'<rect class="{s.css}-point" x="{x - 4:.1f}" y="{yy - 4:.1f}" '
                'width="8" height="8"/>'
            )
        else:
            parts.append(f'<circle class="{s.css}-point" cx="{x:.1f}" cy="{yy:.1f}" r="4.5"/>')
    return parts


def _legend(series: Sequence[Series]) -> list[str]:
    parts, x = [], LEFT
    for s in series:
        marker = MARKER.get(s.css, "circle")
        if marker == "square":
            parts.append(f'<rect class="{s.css}-point" x="{x}" y="9" width="10" height="10"/>')
        elif marker == "circle":
            parts.append(f'<circle class="{s.css}-point" cx="{x + 5}" cy="14" r="5"/>')
        else:
            parts.append(f'<line class="{s.css}" x1="{x - 4}" x2="{x + 14}" y1="14" y2="14"/>')
        parts.append(f'<text class="legend" x="{x + 18}" y="19">{escape(s.label)}</text>')
        x += 34 + int(FONT * 0.56 * len(s.label))
    return parts
