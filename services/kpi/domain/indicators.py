"""The indicator catalogue's vocabulary, and what a reported value must look like.

One declaration drives every total: an indicator's `kind` decides how its values
add up (see `series.py`), its unit whether decimals are allowed.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from services.kpi.domain.distinct import CountedOnce
from shared.errors import FieldProblem


class Level(StrEnum):
    INPUT = "input"
    ACTIVITY = "activity"
    OUTPUT = "output"
    OUTCOME = "outcome"
    IMPACT = "impact"


class IndicatorKind(StrEnum):
    FLOW = "flow"  # summed over periods: meetings held this quarter
    STOCK = "stock"  # the latest value counts: companies connected to date
    RATIO = "ratio"  # numerator and denominator summed apart; the share is derived
    QUALITATIVE = "qualitative"  # text, never summed


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


def value_problems(indicator: Indicator, reported: ReportedValue) -> list[FieldProblem]:
    """Every way `reported` breaks the indicator's declaration, each with its field."""
    if indicator.kind is IndicatorKind.QUALITATIVE:
        if not (reported.text or "").strip():
            return [
                FieldProblem(
                    ("body", "comment"), "a qualitative indicator is reported as text in 'comment'"
                )
            ]
        if reported.value is not None or reported.numerator is not None:
            return [FieldProblem(("body", "value"), "a qualitative indicator takes no number")]
        return []
    if indicator.kind is IndicatorKind.RATIO:
        return _ratio_problems(indicator, reported)
    if reported.value is None:
        problem = "this indicator needs 'value'"
        if reported.numerator is not None or reported.denominator is not None:
            problem += "; numerator and denominator are only for ratio indicators"
        return [FieldProblem(("body", "value"), problem)]
    return _number_problems(indicator, ("body", "value"), reported.value)


def _ratio_problems(indicator: Indicator, reported: ReportedValue) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if reported.value is not None:
        problems.append(
            FieldProblem(
                ("body", "value"),
                "a ratio indicator takes 'numerator' and 'denominator', not 'value'",
            )
        )
    if reported.numerator is None:
        problems.append(FieldProblem(("body", "numerator"), "a ratio indicator needs a numerator"))
    else:
        problems += _number_problems(indicator, ("body", "numerator"), reported.numerator)
    if reported.denominator is None:
        problems.append(
            FieldProblem(("body", "denominator"), "a ratio indicator needs a denominator")
        )
    elif reported.denominator == 0:
        problems.append(FieldProblem(("body", "denominator"), "the denominator may not be 0"))
    else:
        problems += _number_problems(indicator, ("body", "denominator"), reported.denominator)
    return problems


def _number_problems(
    indicator: Indicator, loc: tuple[str, ...], number: Decimal
) -> list[FieldProblem]:
    if not number.is_finite():
        return [FieldProblem(loc, "must be a finite number")]
    if number < 0 and not indicator.negative_allowed:
        return [FieldProblem(loc, f"may not be negative: {indicator.unit} cannot be below zero")]
    if not indicator.decimals_allowed and number != number.to_integral_value():
        return [
            FieldProblem(loc, f"must be a whole number: {indicator.unit} are counted, not measured")
        ]
    return []
