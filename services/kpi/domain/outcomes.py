"""The results chain: outcome indicators measured from statistics, and the contribution
of project outputs to them.

A contribution is the projects' summed output set against the measured change of an
outcome over the same years: labelled contribution, never attribution. What is not
known is reported as missing, never counted as zero, and then no share is given.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from services.kpi.domain.kinds import kind_of
from shared.errors import FieldProblem

SHARE_PLACES = Decimal("0.000001")


class OutcomeLevel(StrEnum):
    OUTCOME = "outcome"
    IMPACT = "impact"


class OutcomeKind(StrEnum):
    """How an outcome's values relate to change: a level (unemployment rate, jobs in a
    sector) changes between two measurements; a flow (jobs added per year) is itself the
    change of its period."""

    LEVEL = "level"
    FLOW = "flow"


class LinkKind(StrEnum):
    QUANTITATIVE = "quantitative"
    QUALITATIVE = "qualitative"


@dataclass(frozen=True)
class Revision:
    """One publication of a measured value; a later one for the same period revises it."""

    year: int
    value: Decimal
    published_on: date
    revision: int


def current_values(revisions: Iterable[Revision]) -> dict[int, Decimal]:
    """Per year, the value of the latest publication (and of the latest revision on a day)."""
    latest: dict[int, Revision] = {}
    for r in revisions:
        held = latest.get(r.year)
        if held is None or (r.published_on, r.revision) > (held.published_on, held.revision):
            latest[r.year] = r
    return {year: r.value for year, r in latest.items()}


def definition_problems(baseline_date: date | None, target_date: date | None) -> list[FieldProblem]:
    if baseline_date and target_date and target_date < baseline_date:
        return [
            FieldProblem(
                ("body", "target_date"),
                f"the target date {target_date} is before the baseline date {baseline_date}",
            )
        ]
    return []


def measurement_problems(
    year: int, published_on: date, today: date, loc: tuple[str | int, ...] = ("body",)
) -> list[FieldProblem]:
    problems = []
    if year >= today.year:
        problems.append(
            FieldProblem(
                (*loc, "period"), f"{year} has not ended yet; statistics describe a past period"
            )
        )
    if published_on > today:
        problems.append(
            FieldProblem((*loc, "published_on"), "the publication date is in the future")
        )
    return problems


def link_problems(
    kind: LinkKind, output_unit: str, outcome_unit: str, output_kind: str
) -> list[FieldProblem]:
    """A quantitative link adds outputs up against the outcome: same unit, countable kind."""
    if kind is LinkKind.QUALITATIVE:
        return []
    problems = []
    if output_unit.strip().casefold() != outcome_unit.strip().casefold():
        problems.append(
            FieldProblem(
                ("body", "kind"),
                f"a quantitative link needs the same unit: the output counts {output_unit!r}, "
                f"the outcome {outcome_unit!r}; make it qualitative",
            )
        )
    if not kind_of(output_kind).facts.counts_units:
        problems.append(
            FieldProblem(
                ("body", "output_indicator"), f"a {output_kind} indicator cannot be summed"
            )
        )
    return problems


@dataclass(frozen=True)
class Contribution:
    first_year: int | None
    last_year: int | None
    outputs: Decimal | None
    outcome_change: Decimal | None
    share: Decimal | None  # outputs / outcome change
    missing: list[str] = field(default_factory=list)


def default_years(kind: OutcomeKind, measured: Mapping[int, Decimal]) -> tuple[int, int] | None:
    """The latest measured year (flow), or first to last measurement (level)."""
    if not measured:
        return None
    years = sorted(measured)
    return (years[-1], years[-1]) if kind is OutcomeKind.FLOW else (years[0], years[-1])


def contribution(
    kind: OutcomeKind,
    measured: Mapping[int, Decimal],
    outputs_per_year: Mapping[int, Decimal],
    output_kind: str,
    years: tuple[int, int] | None,
) -> Contribution:
    """Outputs over the years in which the outcome changed, against that change.

    A level outcome changes after its first year: outputs of the years after it up to the
    last count. A flow outcome is the change of its own years: the outputs of those years
    count. A stock output counts its growth over the same span.
    """
    years = years or default_years(kind, measured)
    if years is None:
        return Contribution(None, None, None, None, None, ["no measurement of the outcome"])
    first, last = years
    missing: list[str] = []
    change = _outcome_change(kind, measured, first, last, missing)
    span = range(first + 1, last + 1) if kind is OutcomeKind.LEVEL else range(first, last + 1)
    outputs = _outputs(outputs_per_year, output_kind, span, missing)
    share = None
    if change is not None and outputs is not None and not missing:
        if change == 0:
            missing.append("the outcome did not change: no share")
        else:
            share = (outputs / change).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)
    return Contribution(first, last, outputs, change, share, missing)


def _outcome_change(
    kind: OutcomeKind, measured: Mapping[int, Decimal], first: int, last: int, missing: list[str]
) -> Decimal | None:
    wanted = [first, last] if kind is OutcomeKind.LEVEL else list(range(first, last + 1))
    absent = [y for y in dict.fromkeys(wanted) if y not in measured]
    missing += [f"no measurement of the outcome for {y}" for y in absent]
    if absent:
        return None
    if kind is OutcomeKind.LEVEL:
        return measured[last] - measured[first]
    return sum((measured[y] for y in wanted), Decimal(0))


def _outputs(
    per_year: Mapping[int, Decimal], output_kind: str, span: range, missing: list[str]
) -> Decimal | None:
    if not span:
        missing.append("the years give no span to compare")
        return None
    if not kind_of(output_kind).facts.adds_up:  # a stock
        end = per_year.get(span[-1])
        if end is None:
            missing.append(f"no output reported for {span[-1]}")
            return None
        # Output indicators start from a baseline of 0 (the EU convention): a stock not yet
        # reported before the span grew from 0.
        return end - per_year.get(span[0] - 1, Decimal(0))
    absent = [y for y in span if y not in per_year]
    missing += [f"no output reported for {y}" for y in absent]
    return None if absent else sum((per_year[y] for y in span), Decimal(0))
