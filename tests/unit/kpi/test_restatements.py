"""Which EU transmissions a new version restates, and when it needs a reason."""

import uuid
from datetime import date

import pytest

from services.kpi.domain.errors import InvalidKpiInputError
from services.kpi.domain.restatements import Transmitted, check_reason, flags, restated

PROGRAMME, IBDO, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def sent(
    label: str, as_of: date, correction: int = 0, fund: str = "efro", reason: bool = True
) -> Transmitted:
    return Transmitted(
        label=label,
        programme_id=PROGRAMME,
        fund=fund,
        as_of=as_of,
        correction=correction,
        projects=frozenset({IBDO}),
        indicators=frozenset({"RCO01"}),
        reason_required=reason,
        notify=True,
    )


JAN, JUL = date(2027, 1, 31), date(2027, 7, 31)
ALL = [
    sent("efro-1", JAN),
    sent("efro-2", JAN, correction=1),
    sent("efro-3", JUL),
    sent("jtf-1", JAN, fund="jtf"),
]


def test_a_period_before_the_cutoffs_restates_the_latest_transmission_of_each() -> None:
    found = restated(ALL, IBDO, "RCO01", date(2026, 12, 31))
    assert flags(found) == ["restates:efro-2", "restates:jtf-1", "restates:efro-3"]


def test_a_period_after_a_cutoff_or_a_project_or_indicator_not_sent_restates_nothing() -> None:
    assert [t.label for t in restated(ALL, IBDO, "RCO01", date(2027, 3, 31))] == ["efro-3"]
    assert restated(ALL, OTHER, "RCO01", date(2026, 12, 31)) == []
    assert restated(ALL, IBDO, "MEETINGS", date(2026, 12, 31)) == []


def test_a_reason_is_needed_when_a_restated_transmission_asks_for_one() -> None:
    with pytest.raises(InvalidKpiInputError, match="efro-1"):
        check_reason([sent("efro-1", JAN)], "  ")
    check_reason([sent("efro-1", JAN)], "recount")
    check_reason([sent("efro-1", JAN, reason=False)], None)
    check_reason([], None)
