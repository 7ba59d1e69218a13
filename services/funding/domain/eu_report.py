"""The EU report per fund: money of the co-financed projects and their common indicators.

Indicator values go to the Commission twice a year, with the data transmissions due on
31 January and 31 July (reference/eu_cofinancing_notes.md §5); a report can be drawn as
of any date, and says whether that date is one of those cut-offs.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

CUTOFFS = ((1, 31), (7, 31))


def is_cutoff(day: date) -> bool:
    return (day.month, day.day) in CUTOFFS


def latest_cutoff(today: date) -> date:
    """The most recent indicator cut-off on or before `today`."""
    candidates = [date(year, m, d) for year in (today.year - 1, today.year) for m, d in CUTOFFS]
    return max(c for c in candidates if c <= today)


# --- enterprises counted once (ADR 29) ------------------------------------------------------


@dataclass(frozen=True)
class IdentifiedValue:
    """One counted cell of one project whose value came with the keyed hashes of the
    enterprises (or participants) it counts."""

    project_id: object
    value: Decimal
    identifiers: frozenset[str]


@dataclass(frozen=True)
class CountedOnceTotal:
    value: Decimal  # the reported values, each listed identifier once
    reported: Decimal  # the same as reported (each project's values added up)
    more_than_one_project: int  # identifiers counted by more than one project


def counted_once(reported_total: Decimal, cells: Iterable[IdentifiedValue]) -> CountedOnceTotal:
    """The EU methodology's rule for enterprise indicators (RCO01-RCO04; 2014-2020
    CO01-CO05): an enterprise supported by several operations is one enterprise. Of
    `reported_total`, the identified values are replaced by their distinct identifiers;
    values reported without identifiers count as reported. The KPI service's totals count
    by the same rule (ADR 29); a service may not import another, so it is stated here too."""
    identified = Decimal(0)
    everyone: set[str] = set()
    per_project: dict[object, set[str]] = {}
    for cell in cells:
        identified += cell.value
        everyone |= cell.identifiers
        per_project.setdefault(cell.project_id, set()).update(cell.identifiers)
    shared = sum(len(ids) for ids in per_project.values()) - len(everyone)
    return CountedOnceTotal(reported_total - identified + len(everyone), reported_total, shared)
