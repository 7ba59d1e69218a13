"""Versioned indicator definitions: what an indicator meant for which periods.

An indicator's name, unit, kind, EU code and methodology have versions, each in force from
the start of a quarter. Reports count under the definition in force for their period. A
new unit on an indicator with data is either converted (values before the change count
times a factor in the new unit: kilometres to metres, 1,000) or an explicit break in the
series, across which no total is given: they are shown per definition instead. A new kind
on an indicator with data is refused: its stored series assume one kind (ADR 32).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from services.kpi.domain.indicators import IndicatorKind
from services.kpi.domain.kinds import kind_of
from services.kpi.domain.periods import Period
from services.kpi.domain.ranges import Rows, Span
from services.kpi.domain.series import ALL, Measure
from shared.errors import FieldProblem

FIRST, EDIT, CONVERSION, BREAK = "first", "edit", "conversion", "break"


@dataclass(frozen=True)
class Definition:
    version: int
    effective_from: date  # the first day of a quarter
    unit: str
    kind: IndicatorKind
    change: str = FIRST  # first | edit | conversion | break
    conversion_factor: Decimal | None = None
    defined_at: datetime | None = None  # when it was recorded (UTC); None: shipped so


@dataclass(frozen=True)
class Change:
    """A proposed new definition, against the one in force and the data there is."""

    effective_from: date
    unit: str
    kind: IndicatorKind
    conversion_factor: Decimal | None
    break_in_series: bool


def change_problems(current: Definition, change: Change, has_data: bool) -> list[FieldProblem]:
    """Why a new definition may not be recorded (none: it may)."""
    problems = []
    start = Period.quarter_of(change.effective_from).start
    if change.effective_from != start:
        problems.append(
            FieldProblem(("body", "effective_from"), "a definition starts on a quarter's first day")
        )
    if change.effective_from <= current.effective_from:
        problems.append(
            FieldProblem(
                ("body", "effective_from"),
                f"after the definition in force from {current.effective_from}",
            )
        )
    if has_data and change.kind != current.kind:
        problems.append(
            FieldProblem(
                ("body", "kind"),
                f"the indicator has data as a {current.kind}: define a new indicator instead",
            )
        )
    unit_changes = change.unit != current.unit
    if change.conversion_factor is not None and change.break_in_series:
        problems.append(
            FieldProblem(("body", "conversion_factor"), "a conversion or a break, not both")
        )
    elif has_data and unit_changes and not change.break_in_series and not change.conversion_factor:
        problems.append(
            FieldProblem(
                ("body", "conversion_factor"),
                f"the unit changes from {current.unit} to {change.unit} on data already "
                "reported: give a conversion factor (old values times it in the new unit) "
                "or declare a break in series",
            )
        )
    if change.conversion_factor is not None and (
        not unit_changes or not kind_of(current.kind).facts.adds_up
    ):
        problems.append(
            FieldProblem(
                ("body", "conversion_factor"),
                "a conversion factor converts a flow's values to a new unit",
            )
        )
    return problems


def kind_of_change(current: Definition, change: Change) -> str:
    if change.break_in_series:
        return BREAK
    if change.conversion_factor is not None:
        return CONVERSION
    return EDIT


def breaks_within(definitions: Sequence[Definition], span: Span) -> list[Definition]:
    """The breaks in series a range runs across (it holds quarters on both sides)."""
    return [
        d
        for d in definitions
        if d.change == BREAK
        and (span.first is None or span.first.start < d.effective_from)
        and (span.last is None or span.last.end >= d.effective_from)
    ]


def segments(definitions: Sequence[Definition], span: Span) -> list[tuple[Definition, Span]]:
    """The range cut at each break: each part with the definition that holds there."""
    cuts = breaks_within(definitions, span)
    parts: list[tuple[Definition, Span]] = []
    first = span.first
    for cut in cuts:
        before = Period.quarter_of(cut.effective_from).previous()
        parts.append((_in_force(definitions, before.start), Span(first, before)))
        first = Period.quarter_of(cut.effective_from)
    parts.append(
        (_in_force(definitions, first.start if first else date.min), Span(first, span.last))
    )
    return parts


def _in_force(definitions: Sequence[Definition], day: date) -> Definition:
    found = [d for d in definitions if d.effective_from <= day] or [definitions[0]]
    return max(found, key=lambda d: d.version)


def converted(rows: Rows, definitions: Sequence[Definition]) -> dict[str, tuple[Measure, int]]:
    """A flow's stored rows in the current unit: every conversion multiplies the values of
    the periods before it. Each stored key is a period, its year or `all`, so a quarter's
    row, its year's row and `all` each lose what the conversion changes below them."""
    out = dict(rows)
    for change in definitions:
        if change.change != CONVERSION or change.conversion_factor is None:
            continue
        out = _scaled_before(out, change.effective_from, change.conversion_factor)
    return out


def _scaled_before(
    rows: Mapping[str, tuple[Measure, int]], day: date, factor: Decimal
) -> dict[str, tuple[Measure, int]]:
    out: dict[str, tuple[Measure, int]] = {}
    extra = Measure()  # what `all` gains
    extra_in_year: dict[int, Measure] = {}
    for key, (measure, projects) in rows.items():
        if key == ALL:
            continue
        period = Period.parse(key)
        if period.end < day:
            added = _times(measure, factor) - measure
            out[key] = (measure + added, projects)
            if period.quarter is None or period.year == day.year:
                extra = extra + added  # a year before `day`'s year holds its quarters
            if period.quarter and period.year == day.year:
                extra_in_year[period.year] = extra_in_year.get(period.year, Measure()) + added
        else:
            out[key] = (measure, projects)
    for year, added in extra_in_year.items():
        if str(year) in out:
            measure, projects = out[str(year)]
            out[str(year)] = (measure + added, projects)
    if ALL in rows:
        measure, projects = rows[ALL]
        out[ALL] = (measure + extra, projects)
    return out


def _times(measure: Measure, factor: Decimal) -> Measure:
    return Measure(measure.value * factor, measure.numerator * factor, measure.denominator * factor)


def break_across(definitions: Sequence[Definition], periods: Iterable[Period]) -> Definition | None:
    """The first break in series with counted periods on both sides: a figure to date over
    those periods would add what the old definition counted to what the new one counts."""
    periods = list(periods)
    for d in definitions:
        if d.change != BREAK:
            continue
        before = any(p.end < d.effective_from for p in periods)
        if before and any(p.start >= d.effective_from for p in periods):
            return d
    return None


def factor_for(definitions: Sequence[Definition], period: Period) -> Decimal:
    """What a value reported for `period` is multiplied by to be in the current unit: every
    conversion that took effect after the period ended (as `converted` does)."""
    factor = Decimal(1)
    for d in definitions:
        if d.change == CONVERSION and d.conversion_factor and period.end < d.effective_from:
            factor *= d.conversion_factor
    return factor


def factor_since(definitions: Sequence[Definition], declared_at: datetime) -> Decimal:
    """What a figure declared at `declared_at` (a target, a baseline) is multiplied by to be
    in the current unit: a target counts in the unit in force when it was declared, so every
    conversion recorded after it applies (both times in UTC)."""
    factor = Decimal(1)
    for d in definitions:
        recorded = d.defined_at
        if d.change == CONVERSION and d.conversion_factor and recorded and recorded > declared_at:
            factor *= d.conversion_factor
    return factor
