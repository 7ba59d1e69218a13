"""What counts in which view (`current`: the latest version not returned; `approved`: the
latest approved), a project's series per view, and what awaits review."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from services.kpi.domain.kinds import Kind
from services.kpi.domain.periods import Period
from services.kpi.domain.progress import Tolerances
from services.kpi.domain.series import (
    ZERO,
    Measure,
    Series,
    measure,
    sum_series,
)
from services.kpi.repository import (
    Key,
    VersionRow,
)

CURRENT, APPROVED = "current", "approved"
# Node totals are pushed along the goal tree and the projects' goal links: report batches
# take this lock shared (they add differences, in any order), registry changes that move
# totals between nodes take it alone. Each reads links and series after taking it (ADR 8).
GOAL_TREE = "kpi.goal-tree"
VIEWS = (CURRENT, APPROVED)
SIX_PLACES = Decimal("0.000001")

Cell = tuple[uuid.UUID, str, str, str]  # project, indicator, period, dimension


@dataclass(frozen=True)
class Options:
    tolerances: Tolerances = field(default_factory=Tolerances)
    announce: bool = True  # status and realised-value events; off while rebuilding


def chosen_versions(versions: Iterable[VersionRow], view: str) -> dict[tuple[str, str], VersionRow]:
    """Per (period, dimension): the latest version not returned, or the latest approved one."""
    chosen: dict[tuple[str, str], VersionRow] = {}
    for v in versions:
        eligible = v.state != "returned" if view == CURRENT else v.state == "approved"
        key = (v.period, v.dimension_key)
        if eligible and (key not in chosen or v.version > chosen[key].version):
            chosen[key] = v
    return chosen


def version_measure(v: VersionRow) -> Measure:
    return measure(v.value or ZERO, v.numerator or ZERO, v.denominator or ZERO)


def series_of(versions: Sequence[VersionRow], view: str, kind: Kind) -> Series:
    """The project's series for one indicator in one view, summed over disaggregations."""
    if not versions:
        return {}
    by_dimension: dict[str, dict[Period, Measure]] = defaultdict(dict)
    for (period, dimension), v in chosen_versions(versions, view).items():
        by_dimension[dimension][Period.parse(period)] = version_measure(v)
    return sum_series(kind.series(cells) for cells in by_dimension.values())


@dataclass(frozen=True)
class Awaiting:
    """What awaits review in one project's indicator: the cells whose counted (latest,
    not returned) version is not yet approved, their values' sum (flows) and how many of
    them carry plausibility flags."""

    reports: int = 0
    value: Decimal = ZERO
    flagged: int = 0

    def __add__(self, other: "Awaiting") -> "Awaiting":
        return Awaiting(
            self.reports + other.reports, self.value + other.value, self.flagged + other.flagged
        )

    def __sub__(self, other: "Awaiting") -> "Awaiting":
        return Awaiting(
            self.reports - other.reports, self.value - other.value, self.flagged - other.flagged
        )


NOTHING_AWAITS = Awaiting()


def _awaiting_version(v: VersionRow | None) -> Awaiting:
    if v is None or v.state != "submitted":
        return NOTHING_AWAITS
    return Awaiting(1, v.value or ZERO, 1 if v.flags else 0)


def awaiting(versions: Iterable[VersionRow]) -> Awaiting:
    """Summed over the cells of `versions` (all of one project's indicator, or one cell)."""
    total = NOTHING_AWAITS
    for v in chosen_versions(versions, CURRENT).values():
        total += _awaiting_version(v)
    return total


@dataclass
class Recomputed:
    """What a batch found per touched key, for its progress row. Keys absent from
    `approved` did not change in that view; `awaiting` holds absolute figures for keys
    recomputed in full and differences for keys of the fast path (`Progress.only_later`)."""

    kinds: dict[Key, str] = field(default_factory=dict)
    current: dict[Key, Series] = field(default_factory=dict)
    approved: dict[Key, Series] = field(default_factory=dict)
    as_of: dict[Key, date | None] = field(default_factory=dict)
    awaiting: dict[Key, Awaiting] = field(default_factory=dict)

    def update(self, other: "Recomputed") -> "Recomputed":
        self.kinds.update(other.kinds)
        self.current.update(other.current)
        self.approved.update(other.approved)
        self.as_of.update(other.as_of)
        self.awaiting.update(other.awaiting)
        return self


def end(period: Period | None) -> date | None:
    return period.end if period else None


def as_of(versions: Sequence[VersionRow]) -> Period | None:
    periods = [Period.parse(p) for (p, _) in chosen_versions(versions, CURRENT)]
    return max(periods, key=lambda p: p.sort_key) if periods else None
