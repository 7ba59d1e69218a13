"""Review use cases: decisions, the comment thread, the queue, report history, freshness."""

import uuid
from collections.abc import Awaitable, Callable

from services.kpi import intake
from services.kpi.access import Principal
from services.kpi.domain.errors import (
    InvalidKpiInputError,
    ReviewStateError,
    UnknownRecordError,
)
from services.kpi.models import (
    Report,
    ReportComment,
)
from services.kpi.schemas import (
    CommentIn,
    CommentPublic,
    Freshness,
    Page,
    ReportPublic,
    ReviewIn,
)
from services.kpi.services.common import check_readable, commit
from services.kpi.uow import KpiUnitOfWork
from shared.auth import StaffUser
from shared.contracts import kpi as events
from shared.db import utcnow
from shared.errors import (
    ConflictError,
    ForbiddenError,
)
from shared.freshness import FreshnessReport


async def review_report(
    uow: KpiUnitOfWork, report_id: uuid.UUID, data: ReviewIn, user: StaffUser
) -> ReportPublic:
    if data.decision == "return" and not data.reason:
        raise InvalidKpiInputError.single(
            ("body", "reason"), "say why the report goes back to the partner"
        )
    async with uow:
        report = await uow.reports.get(report_id)
        if report is None:
            raise UnknownRecordError("report", report_id)
        await uow.lock(intake.reports_lock(report.project_id))  # no revision meanwhile
        await uow.session.refresh(report)
        await _check_current(uow, report)
        if report.state != "submitted":
            raise ReviewStateError(
                report.state, "approved" if data.decision == "approve" else "returned"
            )
        indicator = await uow.catalogue.get(report.indicator_code)
        assert indicator is not None
        report.state = "approved" if data.decision == "approve" else "returned"
        report.review_reason = data.reason
        report.reviewed_by = user.username
        report.reviewed_at = utcnow()
        uow.reports.add(report)
        if data.decision == "return":
            uow.reports.add_comment(
                _comment(report.id, Principal.staff_user(user), data.reason, "return")
            )
        common = {**intake.cell_fields(report, indicator.kind), "reviewed_by": user.username}
        if data.decision == "approve":
            uow.publish(events.ReportApproved(**common))
        else:
            uow.publish(events.ReportReturned(**common, reason=data.reason or ""))
        await commit(uow)
        return ReportPublic.model_validate(report, from_attributes=True)


async def _check_current(uow: KpiUnitOfWork, report: Report) -> None:
    """A review decides on the latest version of its cell; one a revision replaced is 409."""
    cell = (report.project_id, report.indicator_code, report.period, report.dimension_key)
    latest, _ = await uow.reports.cell_states([cell])
    current = latest[cell].version if cell in latest else report.version
    if current != report.version:
        raise ConflictError(
            f"version {report.version} was replaced by version {current}; review that one",
            current_version=current,
        )


def _comment(
    report_id: uuid.UUID, principal: Principal, text: str | None, kind: str = "comment"
) -> ReportComment:
    staff = principal.staff
    return ReportComment(
        report_id=report_id,
        author=staff.username if staff else principal.actor,
        role="staff" if staff else "partner",
        kind=kind,
        text=text or "",
    )


async def _report_in_view(uow: KpiUnitOfWork, principal: Principal, report_id: uuid.UUID) -> Report:
    report = await uow.reports.get(report_id)
    if report is None:
        raise UnknownRecordError("report", report_id)
    await check_readable(uow, principal, report.project_id)
    return report


async def report_comments(
    uow: KpiUnitOfWork, principal: Principal, report_id: uuid.UUID
) -> list[CommentPublic]:
    """The thread between reviewers and the partner, returns' reasons included."""
    async with uow:
        await _report_in_view(uow, principal, report_id)
        return [
            CommentPublic.model_validate(c, from_attributes=True)
            for c in await uow.reports.comments(report_id)
        ]


async def add_report_comment(
    uow: KpiUnitOfWork, principal: Principal, report_id: uuid.UUID, data: CommentIn
) -> CommentPublic:
    """A reviewer asks, the partner answers: staff who review, and the report's partner."""
    if principal.staff is not None and not principal.reports_for_any_project:
        raise ForbiddenError("only programme managers and the project's partners comment")
    async with uow:
        await _report_in_view(uow, principal, report_id)
        comment = _comment(report_id, principal, data.text)
        uow.reports.add_comment(comment)
        await commit(uow)
        return CommentPublic.model_validate(comment, from_attributes=True)


async def report_history(
    uow: KpiUnitOfWork, principal: Principal, project: uuid.UUID | str, indicator_code: str | None
) -> list[ReportPublic]:
    async with uow:
        project_id = await check_readable(uow, principal, project)
        return [
            ReportPublic.model_validate(r, from_attributes=True)
            for r in await uow.reports.history(project_id, indicator_code)
        ]


async def review_queue(
    uow: KpiUnitOfWork, state: str, programme_id: uuid.UUID | None, limit: int, offset: int
) -> Page[ReportPublic]:
    """Reports in a review state (submitted: waiting for a programme manager), oldest first."""
    async with uow:
        rows, total = await uow.reports.queue(state, programme_id, limit, offset)
    return Page(
        data=[ReportPublic.model_validate(r, from_attributes=True) for r in rows],
        count=total,
        limit=limit,
        offset=offset,
    )


async def freshness(
    uow: KpiUnitOfWork, probe: Callable[[], Awaitable[FreshnessReport]]
) -> Freshness:
    """Whether the totals hold everything accepted (ADR 0028), and when the last event was
    applied here."""
    async with uow:
        last = await uow.reports.last_event_processed_at()
    found = await probe()
    return Freshness(
        last_event_processed_at=last,
        events_waiting=found.events_waiting,
        caught_up=found.caught_up,
        newest_applied_accepted_at=found.newest_applied_accepted_at,
        outbox_backlog=found.outbox_backlog,
        consumer_lag=None if found.lags is None else found.consumer_lag,
        as_of=found.as_of,
    )
