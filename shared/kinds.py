"""The indicator kinds, as every service may know them: each kind's name and the few facts
a reader of KPI figures relies on.

An indicator's kind travels with its figures (`indicator_kind` in kpi.events.v1, `kind` in
the KPI API's answers), so it is part of the contract between the KPI service and those who
read its figures: the funding service (cost per output unit, the EU report) and the portal
(charts, output tables, the upload template). What they must know of a kind is stated here,
once; the KPI service's own object for each kind (services/kpi/domain/kinds.py: validation,
series, totals over a range, progress, the projection's update) carries the same facts
object, so no service re-implements a kind rule of its own.

Pure (no framework), so that domain modules may import it, like `shared.years`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class IndicatorKind(StrEnum):
    """How an indicator's values add up (the rules: services/kpi/domain/kinds.py)."""

    FLOW = "flow"  # summed over periods: meetings held this quarter
    STOCK = "stock"  # the latest value counts: companies connected to date
    RATIO = "ratio"  # numerator and denominator summed apart; the share is derived
    QUALITATIVE = "qualitative"  # text, never summed


class Reported(StrEnum):
    """What a report of the kind carries, and so which field of a total is its figure."""

    VALUE = "value"  # one number, in the indicator's unit; the figure is `value`
    RATIO = "ratio"  # a numerator and a denominator; the figure is `share_percent`
    TEXT = "text"  # text in `comment`; no figure


@dataclass(frozen=True)
class KindFacts:
    """What a reader of an indicator's figures may rely on, by its kind."""

    kind: str
    reported: Reported
    # The values of successive periods add up to the value to date (a flow): a chart draws
    # the running sum, the values awaiting review have a meaningful sum, a unit conversion
    # or counting identifiers once applies period by period.
    adds_up: bool
    # The realised value is a number of the indicator's units: it has a cost per unit,
    # it may be summed against an outcome, a value far above target is implausible.
    counts_units: bool

    @property
    def figure(self) -> str | None:
        """The field of a total (the KPI API's `MeasurePublic`) that is the kind's figure."""
        return {Reported.VALUE: "value", Reported.RATIO: "share_percent"}.get(self.reported)


FLOW = KindFacts(IndicatorKind.FLOW, Reported.VALUE, adds_up=True, counts_units=True)
STOCK = KindFacts(IndicatorKind.STOCK, Reported.VALUE, adds_up=False, counts_units=True)
RATIO = KindFacts(IndicatorKind.RATIO, Reported.RATIO, adds_up=False, counts_units=False)
QUALITATIVE = KindFacts(IndicatorKind.QUALITATIVE, Reported.TEXT, adds_up=False, counts_units=False)

FACTS: Mapping[str, KindFacts] = {f.kind: f for f in (FLOW, STOCK, RATIO, QUALITATIVE)}

# A kind this service does not know yet (a newer KPI service may send one): shown as the
# number it reports, neither summed over periods nor counted in units.
UNKNOWN = KindFacts("", Reported.VALUE, adds_up=False, counts_units=False)


def facts_of(kind: str | None) -> KindFacts:
    """The facts of a kind by its name; an unknown name gets `UNKNOWN`'s (never an error:
    a page or a report is not refused for a kind added to the KPI service later)."""
    return FACTS.get(kind or "", UNKNOWN)


COUNTABLE_KINDS = frozenset(k for k, f in FACTS.items() if f.counts_units)
TEXT_KINDS = frozenset(k for k, f in FACTS.items() if f.reported is Reported.TEXT)
