"""The property tests' one row per indicator kind: how they report a value of it.

The property tests (tests/unit/kpi/test_kinds.py, tests/unit/kpi/test_ranges.py,
tests/integration/kpi/test_projection_properties.py) run every kind of the registry
(`services.kpi.domain.kinds.KINDS`) through their checks; a kind without a row here fails
`test_every_kind_has_a_row`. Adding a kind: docs/adding-an-indicator-kind.md.
"""

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from services.kpi.domain.kinds import Kind
from services.kpi.domain.periods import Period
from services.kpi.domain.series import Counted, Measure

Fields = dict[str, Any]  # value, numerator, denominator, comment of a report


def a_value(number: int, _: int) -> Fields:
    return {"value": Decimal(number), "numerator": None, "denominator": None, "comment": None}


def a_ratio(number: int, denominator: int) -> Fields:
    """`denominator` is never 0; the numerator never above it."""
    return {
        "value": None,
        "numerator": Decimal(min(number, denominator)),
        "denominator": Decimal(denominator),
        "comment": None,
    }


def a_text(number: int, _: int) -> Fields:
    return {"value": None, "numerator": None, "denominator": None, "comment": f"note {number}"}


# kind -> a report of it, from a number (0..1000) and a denominator (1..)
REPORTS: Mapping[str, Callable[[int, int], Fields]] = {
    "flow": a_value,
    "stock": a_value,
    "ratio": a_ratio,
    "qualitative": a_text,
}


def measure_of(fields: Fields) -> Measure:
    """The measure a cell counts with (as `projection.views.version_measure` makes it)."""
    zero = Decimal(0)
    return Measure(
        fields["value"] or zero, fields["numerator"] or zero, fields["denominator"] or zero
    )


def node(kind: Kind, *projects: Mapping[Period, Measure]) -> Counted:
    """A node's stored rows: the sum of its projects' rows, as the projection keeps them."""
    rows: Counted = {}
    for cells in projects:
        for key, (measure, count) in kind.counted(kind.series(cells)).items():
            held = rows.get(key, (Measure(), 0))
            rows[key] = (held[0] + measure, held[1] + count)
    return rows
