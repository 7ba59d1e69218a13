"""The diff of a sealed transmission against today's figures (ADR 30): the same cut-off
drawn again beside the transmitted figures, and the report versions behind the change — new
versions (late reports, revisions, with their reasons and authors) and reviews (approvals,
returns, with their reviewers) that the transmission did not know — and the restatements
flagged against it."""

import uuid
from collections.abc import Mapping
from typing import Any

from services.funding import reports
from services.funding.domain import transmissions as rules
from services.funding.domain.funds import FundSource
from services.funding.models import ReportVersionReplica
from services.funding.schemas import (
    CountedOutput,
    EuReportPublic,
    FigureChange,
    TransmissionDiff,
    TransmissionRecord,
    VersionChange,
)
from services.funding.transmissions import outputs_of, public, restatement_line, sealed_row
from services.funding.uow import FundingUnitOfWork

PROJECT_FIELDS = ("eligible_costs", "eu_planned", "eu_committed", "eu_paid")
INDICATOR_FIELDS = ("value", "projects", "pending_reports", "pending_value")
OUTPUT_FIELDS = ("approved", "pending_reports", "pending_value")


async def diff(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, fund: FundSource, number: int
) -> TransmissionDiff:
    """What changed since a transmission: figures of the same cut-off drawn today beside
    the transmitted ones, and the report versions behind the change (new versions, with
    their reasons and authors; reviews, with their reviewers)."""
    async with uow:
        row = await sealed_row(uow, programme_id, fund, number)
        sealed = TransmissionRecord.model_validate_json(row.document)
        today = await reports.draw_eu_report(uow, programme_id, fund, row.as_of)
        codes = {line.project_id: line.code for line in sealed.report.projects}
        codes.update({line.project_id: line.code for line in today.projects})
        known, latest = await reports.counted_outputs(uow, codes, row.as_of)
        outputs = outputs_of(codes, known, latest)
        indicators = {o.indicator_code for o in sealed.outputs} | {k[1] for k in known}
        versions = [
            v
            for v in await uow.transmissions.versions(codes, row.as_of)
            if v.indicator_code in indicators
        ]
        restatements = await uow.transmissions.restatements(codes)
    label = rules.label(row.fund, row.number)
    return TransmissionDiff(
        transmission=public(row),
        figures=_figures(sealed, today, outputs),
        versions=_version_changes(sealed, versions, codes),
        restatements=[restatement_line(r, codes) for r in restatements if label in r.restates],
    )


def _figures(
    sealed: TransmissionRecord, today: EuReportPublic, outputs: list[CountedOutput]
) -> list[FigureChange]:
    changes: list[dict[str, Any]] = []

    def compare(scope: str, before: dict[str, Any], after: dict[str, Any], fields: Any) -> None:
        for code in sorted(set(before) | set(after)):
            changes.extend(
                rules.figure_changes(scope, code, before.get(code), after.get(code), fields)
            )

    compare(
        "project",
        {p.code: p.model_dump() for p in sealed.report.projects},
        {p.code: p.model_dump() for p in today.projects},
        PROJECT_FIELDS,
    )
    compare(
        "indicator",
        {i.eu_code: i.model_dump() for i in sealed.report.indicators},
        {i.eu_code: i.model_dump() for i in today.indicators},
        INDICATOR_FIELDS,
    )
    compare(
        "output",
        {f"{o.code} {o.indicator_code}": o.model_dump() for o in sealed.outputs},
        {f"{o.code} {o.indicator_code}": o.model_dump() for o in outputs},
        OUTPUT_FIELDS,
    )
    return [FigureChange(**c) for c in changes]


def _version_changes(
    sealed: TransmissionRecord,
    versions: list[ReportVersionReplica],
    codes: Mapping[uuid.UUID, str],
) -> list[VersionChange]:
    states = {v.report_id: v.state for v in sealed.report_versions}
    counted = {
        (v.project_id, v.indicator_code, v.period, v.dimension_key): v.value
        for v in sealed.report_versions
        if v.counted
    }
    out: list[VersionChange] = []
    for v in versions:
        cell = (v.project_id, v.indicator_code, v.period, v.dimension_key)
        new = v.report_id not in states
        common = {
            "report_id": v.report_id,
            "project_id": v.project_id,
            "code": codes.get(v.project_id, str(v.project_id)),
            "indicator_code": v.indicator_code,
            "period": v.period,
            "dimension_key": v.dimension_key,
            "version": v.version,
            "state": v.state,
            "value": v.value,
            "counted_value_transmitted": counted.get(cell),
            "restates": rules.restated_labels(v.flags),
        }
        if new:
            out.append(
                VersionChange(
                    kind=rules.change_kind(True, v.version, "submitted", cell in counted),
                    reason=v.reason,
                    actor=v.submitted_by,
                    recorded_at=v.recorded_at,
                    **common,
                )
            )
        if v.state != "submitted" and (new or states[v.report_id] != v.state):
            out.append(
                VersionChange(
                    kind=rules.change_kind(False, v.version, v.state, cell in counted),
                    reason=v.review_reason,
                    actor=v.reviewed_by or "",
                    recorded_at=v.reviewed_recorded_at or v.recorded_at,
                    **common,
                )
            )
    return out
