"""A range of periods, and the stored rows a total over it is read from.

A range means quarters: `from=2021&to=2021`, `from=2021-Q1&to=2021-Q4` and no bounds at
all over the same data are the same question and get the same answer. How a kind reads its
total over a range from these rows (a flow sums the periods lying wholly inside; a stock
takes, per project, its latest value at or before the range's end: ADR 8) is the kind's
rule: `domain.kinds`.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from services.kpi.domain.periods import Period
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


def stored_periods(rows: Rows) -> list[tuple[Period, str]]:
    """The rows' periods (every key but `all`) in time order, each with its key."""
    return sorted((Period.parse(key), key) for key in rows if key != ALL)
