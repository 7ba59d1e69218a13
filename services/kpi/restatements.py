"""Late data in the KPI service (ADR 30): the replica of transmitted cut-offs, fed by
funding.transmission.sealed.v1, and what intake does with a restating version — the
flag, the reason it keeps, and kpi.restatement.flagged.v1 for finance and funding."""

import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlmodel import col, select

from services.kpi.domain.restatements import Transmitted
from services.kpi.models import TransmittedCutoff
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import funding
from shared.db import table_of, upsert_replace


async def on_transmission_sealed(event: funding.TransmissionSealed, uow: KpiUnitOfWork) -> None:
    """Kept as announced; a redelivery writes the same row again."""
    row = TransmittedCutoff(
        id=event.transmission_id,
        programme_id=event.programme_id,
        fund=event.fund,
        number=event.number,
        label=event.label,
        as_of=event.as_of,
        correction=event.correction,
        projects=[str(p) for p in event.projects],
        indicators=list(event.indicators),
        reason_required=event.late_data_reason_required,
        notify=event.late_data_notify,
    )
    await upsert_replace(uow.session, table_of(TransmittedCutoff), [row.model_dump()], ["id"])


async def transmitted(uow: KpiUnitOfWork, programme_ids: Iterable[uuid.UUID]) -> list[Transmitted]:
    """The transmissions of these programmes (a handful a year each)."""
    ids = set(programme_ids)
    if not ids:
        return []
    result = await uow.session.exec(
        select(TransmittedCutoff).where(col(TransmittedCutoff.programme_id).in_(ids))
    )
    return [
        Transmitted(
            label=r.label,
            programme_id=r.programme_id,
            fund=r.fund,
            as_of=r.as_of,
            correction=r.correction,
            projects=frozenset(uuid.UUID(p) for p in r.projects),
            indicators=frozenset(r.indicators),
            reason_required=r.reason_required,
            notify=r.notify,
        )
        for r in result.all()
    ]


def event_fields(
    report: Any, restating: list[Transmitted], previous: Decimal | None
) -> dict[str, Any]:
    """The fields of `RestatementFlagged` for a new version (a `ReportRow`)."""
    return {
        "project_id": report.project_id,
        "indicator_code": report.indicator_code,
        "report_id": report.id,
        "period": report.period,
        "dimension_key": report.dimension_key,
        "version": report.version,
        "kind": "revision" if report.version > 1 else "late_report",
        "value": report.value,
        "previous_value": previous,
        "reason": report.revision_reason,
        "submitted_by": report.submitted_by,
        "organisation_id": report.organisation_id,
        "restates": [t.label for t in restating],
        "notify_finance": any(t.notify for t in restating),
    }
