"""The indicator catalogue's vocabulary.

One declaration drives every total: an indicator's `kind` decides how its values are
checked and add up (every rule of a kind: `domain.kinds`), its unit whether decimals are
allowed.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from services.kpi.domain.distinct import CountedOnce
from shared.kinds import IndicatorKind


class Level(StrEnum):
    INPUT = "input"
    ACTIVITY = "activity"
    OUTPUT = "output"
    OUTCOME = "outcome"
    IMPACT = "impact"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


@dataclass(frozen=True)
class Indicator:
    code: str
    name_en: str
    name_nl: str | None
    unit: str
    level: Level
    kind: IndicatorKind
    direction: Direction = Direction.HIGHER_IS_BETTER
    decimals_allowed: bool = False
    negative_allowed: bool = False  # e.g. a change in employment; never for counts
    eu_code: str | None = None
    # plausibility thresholds of this indicator, where they differ from the programme's
    plausible_target_percent: Decimal | None = None
    plausible_jump_factor: Decimal | None = None
    counted_once: CountedOnce | None = None  # counted once across projects (domain.distinct)
    definition_version: int = 1  # above 1: see its definitions (domain.definitions)


@dataclass(frozen=True)
class ReportedValue:
    """What a partner sent for one cell; zero is a value, absence is 'not reported'."""

    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    text: str | None = None


# IndicatorKind is the platform's vocabulary (shared.kinds), named here with the catalogue's.
__all__ = ["Direction", "Indicator", "IndicatorKind", "Level", "ReportedValue"]
