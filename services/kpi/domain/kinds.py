"""One object per indicator kind, holding every rule of it: what a reported value must look
like, how a project's values roll up into a series, a total over a range of periods, the
realised value that progress compares with a target, and how the projection keeps totals
up to date when a cell changes. Every read and write path asks the kind (`kind_of`); none
tests a kind's name.

What other services must know of a kind (funding, the portal) is its `facts`, declared in
`shared.kinds` and carried here as the same object. Adding a kind:
docs/adding-an-indicator-kind.md.

Totals are sums: a node's total is the sum of its projects' stored series (ADR 8), so a
kind's series must be something that adds up across projects — period sums (flows, ratios),
changes whose running sum is the value at a moment (stocks), or nothing (text).
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import ClassVar

from services.kpi.domain.indicators import Indicator, ReportedValue
from services.kpi.domain.periods import Period, quarters
from services.kpi.domain.ranges import Rows, Span, stored_periods
from services.kpi.domain.series import ALL, Counted, Measure, Series
from shared import kinds as shared
from shared.errors import FieldProblem
from shared.kinds import IndicatorKind, KindFacts, Reported

HUNDREDTHS = Decimal("0.01")

Total = tuple[Measure, int | None]  # a measure, and the reporting projects where known
Public = tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None]


class Kind(ABC):
    """The rules of one indicator kind. The defaults follow `facts.reported`: a kind reported
    as a value, a ratio or text is checked, shown and judged as such."""

    facts: ClassVar[KindFacts]
    # The projection's fast path: a cell's change moves exactly the keys `period_keys` names,
    # each by the cell's difference, and a project counts once at each key it has a value
    # at. Otherwise the projection recomputes the project's whole series on every change.
    incremental: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return self.facts.kind

    # -- what a report must look like --------------------------------------------------

    def problems(self, indicator: Indicator, reported: ReportedValue) -> list[FieldProblem]:
        """Every way `reported` breaks the indicator's declaration, each with its field."""
        return _PROBLEMS[self.facts.reported](indicator, reported)

    def target_problems(
        self, indicator: Indicator, loc: tuple[str, ...], value: Decimal
    ) -> list[FieldProblem]:
        """A baseline or end target in the indicator's unit, checked like a reported value
        (a ratio's target is a share, a text has none: nothing to check)."""
        if self.facts.reported is not Reported.VALUE:
            return []
        return _number_problems(indicator, loc, value)

    # -- a project's series --------------------------------------------------------------

    @abstractmethod
    def series(self, cells: Mapping[Period, Measure]) -> Series:
        """The series of one project's cells of one indicator (one disaggregation value):
        period keys (`2024-Q1`, `2024`, `all`) to a Measure; a node's is the sum of its
        projects'."""

    def reporting(self, series: Series) -> dict[str, int]:
        """What a project adds to the count of reporting projects at each key of its series."""
        return dict.fromkeys(series, 1)

    def counted(self, series: Series) -> Counted:
        counts = self.reporting(series)
        return {key: (m, counts.get(key, 0)) for key, m in series.items()}

    @staticmethod
    def period_keys(text: str) -> tuple[date, tuple[str, ...]]:
        """For an incremental kind: a reported period's end and the keys it counts in."""
        raise NotImplementedError("only an incremental kind names a cell's keys")

    # -- totals over a range of periods (domain.ranges) ------------------------------------

    @abstractmethod
    def total(self, rows: Rows, span: Span) -> Total | None:
        """The total over the range from a node's (or a project's) stored rows, with the
        number of reporting projects where the rows can tell it."""

    @abstractmethod
    def by_quarter(self, rows: Rows, span: Span) -> list[tuple[Period, Measure, int]]:
        """Each quarter's figure inside the range."""

    @abstractmethod
    def by_year(self, rows: Rows) -> dict[int, Measure]:
        """Each year's figure."""

    # -- progress and what a reader sees ---------------------------------------------------

    def figure(self, total: Measure) -> Decimal | None:
        """The one number a total stands for: a value, a share in percent, or none (text)."""
        if self.facts.reported is Reported.RATIO:
            return total.share_percent
        return None if self.facts.reported is Reported.TEXT else total.value

    def realised(self, series: Series) -> Decimal | None:
        """The realised value to date that progress compares with the target."""
        total = series.get(ALL)
        return None if total is None else self.figure(total)

    def from_realised(self, realised: Decimal) -> Measure:
        """A total whose `figure` is `realised` (a progress row keeps only the figure)."""
        if self.facts.reported is Reported.RATIO:
            return Measure(numerator=realised, denominator=Decimal(100))
        return Measure(realised)

    def public(self, m: Measure) -> Public:
        """A total as the API shows it: value, numerator, denominator, share in percent."""
        if self.facts.reported is not Reported.RATIO:
            return m.value, None, None, None
        share = m.share_percent
        return (
            None,
            m.numerator,
            m.denominator,
            None if share is None else share.quantize(HUNDREDTHS),
        )


# -- flows and ratios: each period's measure summed into its own period, year and `all` -----


@lru_cache(maxsize=4096)
def _rolled_up(text: str) -> tuple[date, tuple[str, ...]]:
    """A reported period's end and the keys it counts in: itself, its year (a quarter) and
    `all`. Cached: the projection asks it for every cell of every batch."""
    period = Period.parse(text)
    own = str(period)
    if period.quarter:
        return period.end, (own, str(period.year_period), ALL)
    return period.end, (own, ALL)


class PeriodSums(Kind):
    """A period's value counts in the period, its year and the whole run; a total over a
    range sums the reported periods lying wholly inside it (a year's own value counts only
    when the whole year is inside)."""

    incremental = True
    period_keys = staticmethod(_rolled_up)

    def series(self, cells: Mapping[Period, Measure]) -> Series:
        series: Series = {}
        for period, measure in cells.items():
            for key in _rolled_up(str(period))[1]:
                held = series.get(key)
                series[key] = measure if held is None else held + measure
        return series

    def total(self, rows: Rows, span: Span) -> Total | None:
        if span.unbounded:
            return rows.get(ALL)
        picked = [
            rows[key]
            for period, key in stored_periods(rows)
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

    def by_quarter(self, rows: Rows, span: Span) -> list[tuple[Period, Measure, int]]:
        """A quarter's reported value."""
        return [(p, *rows[key]) for p, key in stored_periods(rows) if p.quarter and span.holds(p)]

    def by_year(self, rows: Rows) -> dict[int, Measure]:
        """A year's total."""
        return {p.year: rows[key][0] for p, key in stored_periods(rows) if p.quarter is None}


class FlowKind(PeriodSums):
    facts = shared.FLOW


class RatioKind(PeriodSums):
    """Numerators and denominators summed apart; the share is derived, never averaged."""

    facts = shared.RATIO


# -- stocks: the latest value counts ----------------------------------------------------------


class StockKind(Kind):
    """The value at a moment is the latest reported at or before it, kept as changes: at each
    reported period the change there (the first: the value itself), at `all` the latest value,
    so the value at any moment is the sum of the changes up to it — for one project as for
    any sum of projects. A range's total is, per project, its latest value at or before the
    range's end: the start does not matter, and an ended project keeps its last value (EU
    achieved values are cumulative; ADR 8). A correction of an earlier quarter does not reach
    quarters reported since. A project counts from its first reported period on."""

    facts = shared.STOCK

    def series(self, cells: Mapping[Period, Measure]) -> Series:
        series: Series = {}
        previous = Measure()
        for period in sorted(cells):
            series[str(period)] = cells[period] - previous
            previous = cells[period]
        if cells:
            series[ALL] = previous
        return series

    def reporting(self, series: Series) -> dict[str, int]:
        periods = [key for key in series if key != ALL]
        if not periods:
            return {}
        return {min(periods, key=lambda k: Period.parse(k).sort_key): 1, ALL: 1}

    def total(self, rows: Rows, span: Span) -> Total | None:
        if span.last is None:
            return rows.get(ALL)
        picked = [rows[key] for period, key in stored_periods(rows) if span.ends_by(period)]
        if not picked:
            return None
        summed, projects = Measure(), 0
        for measure, count in picked:
            summed, projects = summed + measure, projects + count
        return summed, projects

    def by_quarter(self, rows: Rows, span: Span) -> list[tuple[Period, Measure, int]]:
        """The value at the quarter's end, from the first reported quarter on."""
        periods = stored_periods(rows)
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

    def by_year(self, rows: Rows) -> dict[int, Measure]:
        """The value at the year's end."""
        periods = stored_periods(rows)
        out: dict[int, Measure] = {}
        value = Measure()
        for period, key in periods:
            value = value + rows[key][0]
            out[period.year] = value  # the year's last change wins
        if periods:
            for year in range(periods[0][0].year, periods[-1][0].year + 1):
                out.setdefault(year, out.get(year - 1, Measure()))
        return dict(sorted(out.items()))


# -- qualitative: text, never summed ------------------------------------------------------------


class QualitativeKind(Kind):
    facts = shared.QUALITATIVE

    def series(self, cells: Mapping[Period, Measure]) -> Series:
        return {}

    def total(self, rows: Rows, span: Span) -> Total | None:
        return None

    def by_quarter(self, rows: Rows, span: Span) -> list[tuple[Period, Measure, int]]:
        return []

    def by_year(self, rows: Rows) -> dict[int, Measure]:
        return {}


# -- the registry -------------------------------------------------------------------------------

KINDS: Mapping[str, Kind] = {
    kind.name: kind for kind in (FlowKind(), StockKind(), RatioKind(), QualitativeKind())
}


def kind_of(name: str) -> Kind:
    """The kind of that name (an `IndicatorKind`, or its value as stored and in events)."""
    return KINDS[name]


def value_problems(indicator: Indicator, reported: ReportedValue) -> list[FieldProblem]:
    """Every way `reported` breaks the indicator's declaration (its kind's rule)."""
    return kind_of(indicator.kind).problems(indicator, reported)


# -- checking a reported value, by what the kind is reported as -------------------------------


def _value_problems(indicator: Indicator, reported: ReportedValue) -> list[FieldProblem]:
    if reported.value is None:
        problem = "this indicator needs 'value'"
        if reported.numerator is not None or reported.denominator is not None:
            problem += "; numerator and denominator are only for ratio indicators"
        return [FieldProblem(("body", "value"), problem)]
    return _number_problems(indicator, ("body", "value"), reported.value)


def _ratio_problems(indicator: Indicator, reported: ReportedValue) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if reported.value is not None:
        problems.append(
            FieldProblem(
                ("body", "value"),
                "a ratio indicator takes 'numerator' and 'denominator', not 'value'",
            )
        )
    if reported.numerator is None:
        problems.append(FieldProblem(("body", "numerator"), "a ratio indicator needs a numerator"))
    else:
        problems += _number_problems(indicator, ("body", "numerator"), reported.numerator)
    if reported.denominator is None:
        problems.append(
            FieldProblem(("body", "denominator"), "a ratio indicator needs a denominator")
        )
    elif reported.denominator == 0:
        problems.append(FieldProblem(("body", "denominator"), "the denominator may not be 0"))
    else:
        problems += _number_problems(indicator, ("body", "denominator"), reported.denominator)
    return problems


def _text_problems(indicator: Indicator, reported: ReportedValue) -> list[FieldProblem]:
    if not (reported.text or "").strip():
        return [
            FieldProblem(
                ("body", "comment"), "a qualitative indicator is reported as text in 'comment'"
            )
        ]
    if reported.value is not None or reported.numerator is not None:
        return [FieldProblem(("body", "value"), "a qualitative indicator takes no number")]
    return []


def _number_problems(
    indicator: Indicator, loc: tuple[str, ...], number: Decimal
) -> list[FieldProblem]:
    if not number.is_finite():
        return [FieldProblem(loc, "must be a finite number")]
    if number < 0 and not indicator.negative_allowed:
        return [FieldProblem(loc, f"may not be negative: {indicator.unit} cannot be below zero")]
    if not indicator.decimals_allowed and number != number.to_integral_value():
        return [
            FieldProblem(loc, f"must be a whole number: {indicator.unit} are counted, not measured")
        ]
    return []


_PROBLEMS: Mapping[Reported, Callable[[Indicator, ReportedValue], list[FieldProblem]]] = {
    Reported.VALUE: _value_problems,
    Reported.RATIO: _ratio_problems,
    Reported.TEXT: _text_problems,
}

__all__ = ["KINDS", "IndicatorKind", "Kind", "kind_of", "value_problems"]
