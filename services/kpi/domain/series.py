"""How one project's reported values add up over time, per indicator kind.

A project's *series* maps period keys — a quarter (`2024-Q1`), a year (`2024`) and
`all` (the whole run) — to a Measure. Flows and ratios sum their periods; a stock
carries its latest value forward (a later correction of an earlier quarter does
not reach quarters reported since). Aggregates along the goal tree are sums of
series; they are kept up to date by adding the difference between a project's
series before and after each change, so every total derives from these rules.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from services.kpi.domain.indicators import IndicatorKind
from services.kpi.domain.periods import Period, quarters

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


def project_series(
    kind: IndicatorKind, cells: Mapping[Period, Measure], horizon: Period | None = None
) -> Series:
    """The series of one project's cells of one indicator (one disaggregation value)."""
    if not cells or kind is IndicatorKind.QUALITATIVE:
        return {}
    if kind is IndicatorKind.STOCK:
        return _stock_series(cells, horizon)
    series: Series = {}
    for period, measure in cells.items():
        keys = [str(period.year_period), ALL]
        if period.quarter:
            keys.append(str(period))
        for key in keys:
            series[key] = series.get(key, Measure()) + measure
    return series


def _stock_series(cells: Mapping[Period, Measure], horizon: Period | None) -> Series:
    ordered = sorted(cells)
    last = max(ordered[-1], horizon) if horizon else ordered[-1]
    if ordered[0].quarter is None:  # a yearly stock: carry forward year by year
        steps = [Period(year) for year in range(ordered[0].year, last.year + 1)]
    else:
        steps = quarters(ordered[0], last)
    series: Series = {}
    current: Measure | None = None
    for step in steps:
        current = cells.get(step, current)
        if current is None:
            continue
        if step.quarter:
            series[str(step)] = current
        series[str(step.year_period)] = current  # the year's last step wins
        series[ALL] = current
    return series


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


def series_changes(before: Series, after: Series) -> dict[str, Change]:
    """The difference to apply to every total the project counts in."""
    changes: dict[str, Change] = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        delta = (new or Measure()) - (old or Measure())
        projects = (new is not None) - (old is not None)
        if not delta.is_zero or projects:
            changes[key] = Change(delta, projects)
    return changes
