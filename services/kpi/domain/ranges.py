"""A total over a range of periods, read from stored series (the one rule every read uses).

A range means quarters: `from=2021&to=2021`, `from=2021-Q1&to=2021-Q4` and no bounds at
all over the same data are the same question and get the same answer. A reported period
counts in a flow's range when it lies wholly inside it (a year's own value counts only
when the whole year is inside). A stock's value for a range is, per project, its latest
value at or before the range's end — the start does not matter, and a project that has
ended keeps its last value (EU achieved values are cumulative): ADR 8.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from services.kpi.domain.indicators import IndicatorKind
from services.kpi.domain.periods import Period, quarters
from services.kpi.domain.series import ALL, Measure

Rows = Mapping[str, tuple[Measure, int]]  # per stored key: the measure, reporting projects


@dataclass(frozen=True)
class Span:
    """The quarters a range covers; None: unbounded on that side."""

    first: Period | None = None
    last: Period | None = None

    @classmethod
    def of(cls, first: Period | None, last: Period | None) -> "Span":
        return cls(
            Period(first.year, first.quarter or 1) if first else None,
            last.last_quarter if last else None,
        )

    @property
    def unbounded(self) -> bool:
        return self.first is None and self.last is None

    def holds(self, period: Period) -> bool:
        """The period lies wholly inside."""
        return (self.first is None or self.first.start <= period.start) and (
            self.last is None or period.end <= self.last.end
        )

    def ends_by(self, period: Period) -> bool:
        """The period ends at or before the range's end."""
        return self.last is None or period.end <= self.last.end


def _periods(rows: Rows) -> list[tuple[Period, str]]:
    return sorted((Period.parse(key), key) for key in rows if key != ALL)


def total(kind: IndicatorKind, rows: Rows, span: Span) -> tuple[Measure, int | None] | None:
    """The total over the range, with the number of reporting projects where the rows can
    tell it (always for a stock; for a flow when one stored period answers the range)."""
    if kind is IndicatorKind.STOCK:
        return _stock_total(rows, span)
    if span.unbounded:
        return rows.get(ALL)
    picked = [
        rows[key]
        for period, key in _periods(rows)
        if span.holds(period)
        # a quarter inside a year the range holds whole is already in that year's row
        and not (period.quarter and span.holds(period.year_period))
    ]
    if not picked:
        return None
    summed = Measure()
    for measure, _ in picked:
        summed = summed + measure
    return summed, picked[0][1] if len(picked) == 1 else None


def _stock_total(rows: Rows, span: Span) -> tuple[Measure, int] | None:
    if span.last is None:
        return rows.get(ALL)
    picked = [rows[key] for period, key in _periods(rows) if span.ends_by(period)]
    if not picked:
        return None
    summed, projects = Measure(), 0
    for measure, count in picked:
        summed, projects = summed + measure, projects + count
    return summed, projects


def by_quarter(kind: IndicatorKind, rows: Rows, span: Span) -> list[tuple[Period, Measure, int]]:
    """Each quarter's figure inside the range: a flow's reported value; a stock's value at
    the quarter's end (from its first reported quarter on)."""
    periods = _periods(rows)
    if kind is not IndicatorKind.STOCK:
        return [(p, *rows[key]) for p, key in periods if p.quarter and span.holds(p)]
    if not periods:
        return []
    last = span.last or periods[-1][0].last_quarter
    out, value, count, index = [], Measure(), 0, 0
    for quarter in quarters(periods[0][0], last):
        while index < len(periods) and periods[index][0].end <= quarter.end:
            measure, projects = rows[periods[index][1]]
            value, count, index = value + measure, count + projects, index + 1
        if span.holds(quarter):
            out.append((quarter, value, count))
    return out


def by_year(kind: IndicatorKind, rows: Rows) -> dict[int, Measure]:
    """Each year's figure: a flow's total for the year; a stock's value at the year's end."""
    periods = _periods(rows)
    if kind is not IndicatorKind.STOCK:
        return {p.year: rows[key][0] for p, key in periods if p.quarter is None}
    out: dict[int, Measure] = {}
    value = Measure()
    for period, key in periods:
        value = value + rows[key][0]
        out[period.year] = value  # the year's last change wins
    if periods:
        for year in range(periods[0][0].year, periods[-1][0].year + 1):
            out.setdefault(year, out.get(year - 1, Measure()))
    return dict(sorted(out.items()))
