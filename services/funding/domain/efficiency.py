"""Input against output: cost per unit realised, leverage, absorption.

Money of a project is split over its goals by the plan's goal shares; for figures per
goal its outputs are split by the same shares, so a goal's cost per unit is its share of
the money over its share of the output, and the programme's figure is all money over
all output, each project once.
"""

from decimal import ROUND_HALF_UP, Decimal

from shared.kinds import COUNTABLE_KINDS

CENT = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")


def cost_per_unit(money: Decimal, units: Decimal | None) -> Decimal | None:
    """Euro per unit realised; none while nothing has been realised."""
    if units is None or units <= 0:
        return None
    return (money / units).quantize(CENT, rounding=ROUND_HALF_UP)


def leverage(private: Decimal, public: Decimal) -> Decimal | None:
    """Private euro per euro of public money."""
    if public <= 0:
        return None
    return (private / public).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def share(part: Decimal, whole: Decimal) -> Decimal | None:
    """A fraction (0.25 = 25%), e.g. absorption = paid / budget."""
    if whole <= 0:
        return None
    return (part / whole).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


# The kinds whose realised value counts units (flows, stocks) have a cost per unit; a ratio's
# is a percentage and a qualitative indicator has none (shared.kinds: the KPI service's facts).
__all__ = ["COUNTABLE_KINDS", "cost_per_unit", "leverage", "share"]
