"""Measures and series: what totals are made of, whatever the indicator's kind.

A project's *series* maps period keys — a quarter (`2024-Q1`), a year (`2024`) and
`all` (the whole run) — to a Measure; how a kind's values make one (flows and ratios sum
their periods, a stock keeps changes whose running sum is its value) is the kind's rule,
`domain.kinds`. Aggregates along the goal tree are sums of series; they are kept up to
date by adding the difference between a project's series before and after each change
(`series_changes`), so every total derives from the kinds' rules.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

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


Counted = dict[str, tuple[Measure, int]]  # per key: the measure and the reporting projects


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
