"""Events encoded straight from checked fields (the batch intake's path) are the very JSON
the contract's own serializer writes, and read back as the same event."""

import uuid
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from services.kpi.domain.indicators import Indicator, IndicatorKind, Level
from services.kpi.intake import report_event
from services.kpi.projection import realised_value
from shared.contracts import kpi as events
from shared.contracts.base import encode_fields, key_of

# what a report version can hold: six decimals, any sign, text of any script
amounts = st.none() | st.decimals(
    min_value=Decimal("-9e12"), max_value=Decimal("9e12"), places=6, allow_nan=False
)
texts = st.none() | st.text(max_size=50)

rows = st.fixed_dictionaries(
    {
        "id": st.uuids(),
        "project_id": st.uuids(),
        "indicator_code": st.text(min_size=1, max_size=40),
        "period": st.sampled_from(["2024-Q1", "2024", "2027-Q4"]),
        "dimension_key": st.sampled_from(["", "gender=f", "gender=m;region=zuid"]),
        "version": st.integers(min_value=1, max_value=10_000),
        "value": amounts,
        "numerator": amounts,
        "denominator": amounts,
        "comment": texts,
        "source_ref": texts,
        "state": st.just("submitted"),
        "organisation_id": st.none() | st.uuids(),
        "submitted_by": st.text(min_size=1, max_size=30),
        "revision_reason": texts,
        "flags": st.lists(st.sampled_from(["above_target", "jump"]), unique=True),
        "identifiers": st.lists(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)),
    }
)


class _Indicator:
    def __init__(self, kind: IndicatorKind) -> None:
        self.kind = kind


@given(row=rows, kind=st.sampled_from(list(IndicatorKind)))
def test_a_report_event_encoded_from_its_row_is_the_contracts_own_json(
    row: dict[str, Any], kind: IndicatorKind
) -> None:
    event_type, fields = report_event(row, _Indicator(kind))  # type: ignore[arg-type]
    built = event_type(**fields)
    assert encode_fields(event_type, fields) == built.model_dump_json()
    assert key_of(event_type, fields) == built.key
    assert event_type.model_validate_json(encode_fields(event_type, fields)) == built
    assert event_type is (events.ReportRevised if row["version"] > 1 else events.ReportSubmitted)


def test_a_revision_carries_its_reason() -> None:
    row = {
        "id": uuid.uuid4(),
        "project_id": uuid.uuid4(),
        "indicator_code": "RCO01",
        "period": "2024-Q1",
        "dimension_key": "",
        "version": 2,
        "value": Decimal("1705"),
        "numerator": None,
        "denominator": None,
        "comment": None,
        "source_ref": "ibdo-17",
        "state": "submitted",
        "organisation_id": None,
        "submitted_by": "ibdo",
        "revision_reason": "counted twice",
        "flags": ["jump"],
        "identifiers": [],
    }
    event_type, fields = report_event(row, _Indicator(IndicatorKind.FLOW))  # type: ignore[arg-type]
    decoded = events.ReportRevised.model_validate_json(encode_fields(event_type, fields))
    assert (decoded.reason, decoded.value, decoded.version) == ("counted twice", Decimal(1705), 2)
    assert decoded.flags == ["jump"]


realised_rows = st.fixed_dictionaries(
    {
        "code": st.text(min_size=1, max_size=40),
        "kind": st.sampled_from([str(k) for k in IndicatorKind]),
        "unit": st.none() | st.text(max_size=20),
        "eu_code": st.none() | st.sampled_from(["RCO01", "RCR02"]),
        "realised": amounts,
        "as_of": st.none() | st.dates(),
        "approved": amounts,
        "pending_reports": st.integers(min_value=0, max_value=10_000),
        "pending_value": amounts,
        "flagged_reports": st.integers(min_value=0, max_value=10_000),
    }
)


@given(project_id=st.uuids(), outputs=st.lists(realised_rows, min_size=1, max_size=5))
def test_realised_outputs_encoded_from_progress_rows_are_the_contracts_own_json(
    project_id: uuid.UUID, outputs: list[dict[str, Any]]
) -> None:
    values = [
        realised_value(
            o["code"],
            o["kind"],
            Indicator(
                o["code"],
                o["code"],
                None,
                o["unit"],
                Level.OUTPUT,
                IndicatorKind(o["kind"]),
                eu_code=o["eu_code"],
            )
            if o["unit"] is not None
            else None,
            o,
        )
        for o in outputs
    ]
    fields = {"project_id": project_id, "outputs": values}
    built = events.OutputsRealised(**fields)
    assert encode_fields(events.OutputsRealised, fields) == built.model_dump_json()
    assert key_of(events.OutputsRealised, fields) == built.key
