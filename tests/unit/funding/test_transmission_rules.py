"""The numbering of transmissions and the counted report versions, without I/O."""

import uuid
from datetime import date
from types import SimpleNamespace

import pytest

from services.funding.domain.transmissions import (
    Numbering,
    Sealed,
    change_kind,
    counted,
    numbering,
    period_end,
)
from shared.errors import ConflictError, InvalidInputError

JAN = date(2027, 1, 31)


def test_the_first_transmission_of_a_cutoff_is_numbered_after_all_earlier_ones() -> None:
    earlier = [Sealed(1, date(2026, 7, 31), 0), Sealed(2, date(2026, 7, 31), 1)]
    assert numbering(earlier, JAN, None, None) == Numbering(3, 0, None)


def test_a_cutoff_goes_again_only_as_a_correction_of_its_latest_transmission() -> None:
    earlier = [Sealed(1, JAN, 0), Sealed(2, JAN, 1)]
    with pytest.raises(ConflictError, match="corrects: 2"):
        numbering(earlier, JAN, "why", None)
    with pytest.raises(ConflictError, match="number 2"):
        numbering(earlier, JAN, "why", 1)
    with pytest.raises(InvalidInputError, match="reason"):
        numbering(earlier, JAN, " ", 2)
    assert numbering(earlier, JAN, "restated", 2) == Numbering(3, 2, 2)
    with pytest.raises(ConflictError, match="nothing to correct"):
        numbering([], JAN, "why", 1)


def test_a_date_off_the_cutoffs_needs_a_reason() -> None:
    with pytest.raises(InvalidInputError, match="not a cut-off"):
        numbering([], date(2027, 3, 15), None, None)
    assert numbering([], date(2027, 3, 15), "closure", None).number == 1


@pytest.mark.parametrize(
    ("period", "end"),
    [("2026-Q1", date(2026, 3, 31)), ("2026-Q3", date(2026, 9, 30)), ("2026", date(2026, 12, 31))],
)
def test_a_period_ends_on_its_last_day(period: str, end: date) -> None:
    assert period_end(period) == end


def test_a_cell_counts_its_latest_approved_version_not_a_newer_submitted_one() -> None:
    project = uuid.uuid4()

    def v(version: int, state: str) -> SimpleNamespace:
        return SimpleNamespace(
            project_id=project,
            indicator_code="RCO01",
            period="2026-Q4",
            dimension_key="",
            version=version,
            state=state,
        )

    found = counted([v(1, "approved"), v(2, "approved"), v(3, "submitted"), v(4, "returned")])
    assert [c.version for c in found.values()] == [2]


def test_the_kind_of_a_change_since_a_transmission() -> None:
    assert change_kind(True, 1, "submitted", had_approved=False) == "late_report"
    assert change_kind(True, 2, "submitted", had_approved=True) == "revision_after_approval"
    assert change_kind(True, 2, "submitted", had_approved=False) == "revision"
    assert change_kind(False, 2, "approved", had_approved=True) == "approval"
    assert change_kind(False, 2, "returned", had_approved=True) == "return"
