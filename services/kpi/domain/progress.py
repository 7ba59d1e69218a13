"""Progress: realised against target, and on track / at risk / off track.

The realised value is the indicator kind's (`Kind.realised`: a flow's sum to date, a
stock's latest value, a ratio's share). The expected value follows a straight line from
the baseline (at the end of its year) to the target at its date; the status compares the
realised value with the expected one, with tolerances that a programme configures.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from services.kpi.domain.indicators import Direction
from services.kpi.domain.kinds import Kind
from services.kpi.domain.series import Series


class Status(StrEnum):
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"


@dataclass(frozen=True)
class Target:
    target_value: Decimal
    target_date: date
    baseline_value: Decimal = Decimal(0)
    baseline_year: int | None = None
    direction: Direction = Direction.HIGHER_IS_BETTER


@dataclass(frozen=True)
class Tolerances:
    """Shortfalls (as a share of the expected value) that still count as on track / at risk."""

    on_track: Decimal = Decimal("0.15")
    at_risk: Decimal = Decimal("0.30")


@dataclass(frozen=True)
class Progress:
    realised: Decimal | None
    expected: Decimal | None
    target: Decimal | None
    percent_of_target: Decimal | None
    status: Status | None
    as_of: date | None


def expected_value(target: Target, on: date, project_start: date) -> Decimal:
    start = date(target.baseline_year, 12, 31) if target.baseline_year else project_start
    if on <= start:
        return target.baseline_value
    if on >= target.target_date or target.target_date <= start:
        return target.target_value
    elapsed = Decimal((on - start).days) / Decimal((target.target_date - start).days)
    return target.baseline_value + (target.target_value - target.baseline_value) * elapsed


def status_of(
    realised: Decimal, expected: Decimal, direction: Direction, tolerances: Tolerances
) -> Status:
    shortfall = (
        expected - realised if direction is Direction.HIGHER_IS_BETTER else realised - expected
    )
    if shortfall <= 0:
        return Status.ON_TRACK
    scale = abs(expected) or Decimal(1)
    if shortfall <= tolerances.on_track * scale:
        return Status.ON_TRACK
    if shortfall <= tolerances.at_risk * scale:
        return Status.AT_RISK
    return Status.OFF_TRACK


def percent_of_target(realised: Decimal, target: Target) -> Decimal | None:
    """How far from baseline to target the project has come; right for lower-is-better too."""
    span = target.target_value - target.baseline_value
    if span == 0:
        return None
    return (realised - target.baseline_value) / span * 100


def progress(
    kind: Kind,
    series: Series,
    target: Target | None,
    as_of: date | None,
    project_start: date,
    tolerances: Tolerances,
) -> Progress:
    realised = kind.realised(series)
    if target is None or realised is None or as_of is None:
        return Progress(realised, None, target.target_value if target else None, None, None, as_of)
    expected = expected_value(target, as_of, project_start)
    return Progress(
        realised=realised,
        expected=expected,
        target=target.target_value,
        percent_of_target=percent_of_target(realised, target),
        status=status_of(realised, expected, target.direction, tolerances),
        as_of=as_of,
    )
