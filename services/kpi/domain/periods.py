"""Reporting periods: a quarter (`2024-Q1`) or a year (`2024`)."""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from shared.years import MAX_YEAR, MIN_YEAR

# A period's years are those every date at the edge may have (year 0 has no calendar dates,
# and a period's start, end and next quarter must all be dates).
_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?$", re.ASCII)


class Frequency(StrEnum):
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class PeriodError(ValueError):
    """Not a period we know how to read."""


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None  # None: the whole year

    @classmethod
    def parse(cls, text: str) -> "Period":
        match = _PATTERN.match(text.strip())
        if not match:
            raise PeriodError(
                f"{text!r} is not a period; use 2024-Q1 for a quarter or 2024 for a year"
            )
        year, quarter = int(match.group("year")), match.group("quarter")
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise PeriodError(f"{text!r}: the year must lie between {MIN_YEAR} and {MAX_YEAR}")
        return cls(year, int(quarter) if quarter else None)

    @classmethod
    def quarter_of(cls, day: date) -> "Period":
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def sort_key(self) -> tuple[int, int]:
        """Quarters in time order; a year after its own Q4 (a yearly value is known at year end)."""
        return (self.year, self.quarter or 5)

    def __lt__(self, other: "Period") -> bool:
        return self.sort_key < other.sort_key

    def __le__(self, other: "Period") -> bool:
        return self.sort_key <= other.sort_key

    def __str__(self) -> str:
        return f"{self.year}-Q{self.quarter}" if self.quarter else str(self.year)

    @property
    def frequency(self) -> Frequency:
        return Frequency.QUARTERLY if self.quarter else Frequency.YEARLY

    @property
    def start(self) -> date:
        return date(self.year, 3 * (self.quarter - 1) + 1 if self.quarter else 1, 1)

    @property
    def end(self) -> date:
        if not self.quarter or self.quarter == 4:
            return date(self.year, 12, 31)
        return date(self.year, 3 * self.quarter + 1, 1) - timedelta(days=1)

    @property
    def year_period(self) -> "Period":
        return Period(self.year)

    @property
    def last_quarter(self) -> "Period":
        """The quarter a yearly value stands for when carried forward: its year's Q4."""
        return self if self.quarter else Period(self.year, 4)

    def previous(self) -> "Period":
        """The period before, of the same frequency: the quarter before, or the year before."""
        if not self.quarter:
            return Period(self.year - 1)
        return (
            Period(self.year - 1, 4) if self.quarter == 1 else Period(self.year, self.quarter - 1)
        )

    def next_quarter(self) -> "Period":
        assert self.quarter, "only quarters have a next quarter"
        return (
            Period(self.year + 1, 1) if self.quarter == 4 else Period(self.year, self.quarter + 1)
        )

    def overlaps(self, start: date, end: date) -> bool:
        return self.start <= end and self.end >= start


def quarters(first: Period, last: Period) -> list[Period]:
    """Every quarter from `first` to `last`, both included; a year stands for all its quarters."""
    out: list[Period] = []
    current = first if first.quarter else Period(first.year, 1)
    while current <= last.last_quarter:
        out.append(current)
        current = current.next_quarter()
    return out


def periods_ended(frequency: Frequency, start: date, end: date, today: date) -> list[Period]:
    """The periods of `frequency` a project running from `start` to `end` reports on and
    that have ended before `today`: what its partner owes, once each is reported."""
    found: list[Period] = []
    for year in range(start.year, min(end, today).year + 1):
        candidates = (
            [Period(year)]
            if frequency is Frequency.YEARLY
            else [Period(year, quarter) for quarter in range(1, 5)]
        )
        found += [p for p in candidates if p.overlaps(start, end) and p.end < today]
    return found
