"""Plausibility: values accepted as reported, but flagged for the reviewer's eye.

A value far above its target, or a sudden jump from the previous period, is usually a
typo (an extra zero, a cumulative figure sent as a quarter's). Refusing it would stop a
partner whose figure is real; counting it silently would put it in a signed total. So it
is accepted and flagged — in the intake answer, the review queue, the dashboard and the
EU report's list of what awaits review — and a reviewer decides.
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from services.kpi.domain.indicators import Indicator
from services.kpi.domain.kinds import kind_of
from shared.kinds import Reported

ABOVE_TARGET = "above_target"  # the value to date is above `target_percent` % of the target
JUMP = "jump"  # more than `jump_factor` times the previous period's value
FLAGS = (ABOVE_TARGET, JUMP)


@dataclass(frozen=True)
class Thresholds:
    """The programme's thresholds (settings), overridable per indicator (catalogue)."""

    target_percent: Decimal = Decimal(200)
    jump_factor: Decimal = Decimal(5)

    def of(self, indicator: Indicator) -> "Thresholds":
        if indicator.plausible_target_percent is None and indicator.plausible_jump_factor is None:
            return self  # most indicators: no copy per reported value
        return replace(
            self,
            target_percent=indicator.plausible_target_percent or self.target_percent,
            jump_factor=indicator.plausible_jump_factor or self.jump_factor,
        )


def above_target(to_date: Decimal | None, target: Decimal | None, thresholds: Thresholds) -> bool:
    """The realised value to date beyond the target's threshold (a positive target only)."""
    if to_date is None or target is None or target <= 0:
        return False
    return to_date * 100 > target * thresholds.target_percent


def value_flags(
    kind: str,
    value: Decimal | None,
    *,
    to_date: Decimal | None,
    target: Decimal | None,
    previous: Decimal | None,
    thresholds: Thresholds,
) -> list[str]:
    """The flags of one reported value of a kind reported as a value (a flow, a stock; ratios
    and texts get none).

    `to_date`: the indicator's realised value with this one counted (a flow's running
    total, a stock's value itself); `previous`: the previous period's counted value."""
    if value is None or kind_of(kind).facts.reported is not Reported.VALUE:
        return []
    flags = []
    if above_target(to_date, target, thresholds):
        flags.append(ABOVE_TARGET)
    if previous is not None and previous > 0 and value > previous * thresholds.jump_factor:
        flags.append(JUMP)
    return flags
