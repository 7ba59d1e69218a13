"""How one project's reported values add up over time, per indicator kind.

A project's *series* maps period keys — a quarter (`2024-Q1`), a year (`2024`) and
`all` (the whole run) — to a Measure. Flows and ratios sum their periods; a stock's
value at a moment is its latest reported value at or before it (a later correction of
an earlier quarter does not reach quarters reported since), kept as changes that add
up to it. Aggregates along the goal tree are sums of series; they are kept up to date
by adding the difference between a project's series before and after each change, so
every total derives from these rules. How a total over a range of periods is read from
a series is `domain.ranges`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from services.kpi.domain.indicators import IndicatorKind
from services.kpi.domain.periods import Period

ALL = "all"
ZERO = Decimal(0)


class Measure(NamedTuple):
    """A value, or for ratios a numerator and denominator; the share is derived, never stored.

    A named tuple rather than a frozen dataclass: the projection adds hundreds of thousands
    of these a second, and a tuple is built without three calls of `object.__setattr__`.
    """

    value: Decimal = ZERO
    numerator: Decimal = ZERO
    denominator: Decimal = ZERO

    def __add__(self, other: "Measure") -> "Measure":  # type: ignore[override]
        return _measure((self[0] + other[0], self[1] + other[1], self[2] + other[2]))

    def __sub__(self, other: "Measure") -> "Measure":
        return _measure((self[0] - other[0], self[1] - other[1], self[2] - other[2]))

    def __neg__(self) -> "Measure":
        return _measure((-self[0], -self[1], -self[2]))

    @property
    def is_zero(self) -> bool:
        return self.value == 0 and self.numerator == 0 and self.denominator == 0

    @property
    def share_percent(self) -> Decimal | None:
        return None if self.denominator == 0 else self.numerator / self.denominator * 100


def _measure(parts: tuple[Decimal, Decimal, Decimal]) -> Measure:
    """Built without the named tuple's generated constructor (half the cost, and the
    projection adds measures hundreds of thousands of times a batch)."""
    built: Measure = tuple.__new__(Measure, parts)
    return built


def measure(value: Decimal, numerator: Decimal, denominator: Decimal) -> Measure:
    """A Measure, built the cheap way (see `_measure`)."""
    return _measure((value, numerator, denominator))


Series = dict[str, Measure]


def project_series(kind: IndicatorKind, cells: Mapping[Period, Measure]) -> Series:
    """The series of one project's cells of one indicator (one disaggregation value).

    Flows and ratios: each quarter, each year (its own value plus its quarters') and
    `all`. Stocks: at each reported period the change of the value there (the first: the
    value itself), and at `all` the latest value — so a stock's value at any moment is the
    sum of its changes up to that moment, for one project as for any sum of projects."""
    if not cells or kind is IndicatorKind.QUALITATIVE:
        return {}
    if kind is IndicatorKind.STOCK:
        return _stock_changes(cells)
    series: Series = {}
    for period, measure in cells.items():
        keys = [str(period.year_period), ALL]
        if period.quarter:
            keys.append(str(period))
        for key in keys:
            series[key] = series.get(key, Measure()) + measure
    return series


def _stock_changes(cells: Mapping[Period, Measure]) -> Series:
    series: Series = {}
    previous = Measure()
    for period in sorted(cells):
        series[str(period)] = cells[period] - previous
        previous = cells[period]
    series[ALL] = previous
    return series


def reporting(kind: IndicatorKind, series: Series) -> dict[str, int]:
    """What a project adds to the count of reporting projects at each key of its series.

    A flow's key counts the projects that reported in that period. A stock's keys hold
    changes, summed up to a moment: a project counts from its first reported period on
    (its +1 sits there) and in `all`."""
    if kind is not IndicatorKind.STOCK:
        return dict.fromkeys(series, 1)
    periods = [key for key in series if key != ALL]
    if not periods:
        return {}
    return {min(periods, key=lambda k: Period.parse(k).sort_key): 1, ALL: 1}


Counted = dict[str, tuple[Measure, int]]  # per key: the measure and the reporting projects


def counted(kind: IndicatorKind, series: Series) -> Counted:
    counts = reporting(kind, series)
    return {key: (m, counts.get(key, 0)) for key, m in series.items()}


def sum_series(many: Iterable[Series]) -> Series:
    total: Series = {}
    for series in many:
        for key, measure in series.items():
            total[key] = total.get(key, Measure()) + measure
    return total


@dataclass(frozen=True)
class Change:
    """What one key of a total must absorb: a measure, and a count of reporting projects."""

    delta: Measure
    projects: int


def series_changes(before: Counted, after: Counted) -> dict[str, Change]:
    """The difference to apply to every total the project counts in."""
    changes: dict[str, Change] = {}
    nothing = (Measure(), 0)
    for key in before.keys() | after.keys():
        old, new = before.get(key, nothing), after.get(key, nothing)
        delta, projects = new[0] - old[0], new[1] - old[1]
        if not delta.is_zero or projects or (key in before) != (key in after):
            changes[key] = Change(delta, projects)
    return changes
