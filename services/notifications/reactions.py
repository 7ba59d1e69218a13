"""The notification service's reactions to events: its replicas of projects, reporting KPIs
and report cells, and the notifications that events raise. `consumers.py` routes each event
type here; the rules themselves live in `domain.rules`, raising once in `services`.
"""

import uuid

from services.notifications import services
from services.notifications.domain import rules
from services.notifications.models import ProjectReplica, ReportCell, ReportingKpi
from services.notifications.uow import NotificationsUnitOfWork
from shared.contracts import funding, kpi
from shared.contracts import projects as registry
from shared.messaging.consumer import ReceivedMessage


async def _code(uow: NotificationsUnitOfWork, project_id: uuid.UUID) -> str:
    project = await uow.replica.project(project_id)
    return project.code if project else str(project_id)


async def _raise(uow: NotificationsUnitOfWork, occurrence: rules.Occurrence | None) -> None:
    if occurrence is not None and await services.rule_params(uow, occurrence.rule) is not None:
        await services.raise_notification(uow, occurrence)


# --- projects.events.v1 ---------------------------------------------------------------------


async def on_project(event: registry.ProjectEvent, uow: NotificationsUnitOfWork) -> None:
    existing = await uow.replica.project(event.project_id)
    if existing is not None and existing.version >= event.version:
        return
    await uow.replica.put(
        ProjectReplica(
            id=event.project_id,
            programme_id=event.programme_id,
            code=event.code,
            name=event.name,
            start_date=event.start_date,
            end_date=event.end_date,
            status=event.status,
            version=event.version,
        ),
        ["id"],
    )
    await uow.replica.replace_members(event.project_id, (m.organisation_id for m in event.members))


# --- kpi.events.v1 --------------------------------------------------------------------------


async def on_target_set(event: kpi.TargetSet, uow: NotificationsUnitOfWork) -> None:
    await uow.replica.put(
        ReportingKpi(
            project_id=event.project_id,
            indicator_code=event.indicator_code,
            frequency=event.frequency,
        ),
        ["project_id", "indicator_code"],
    )


_CELL_KEYS = ["project_id", "indicator_code", "period", "dimension_key"]


async def on_report(event: kpi.ReportCellEvent, uow: NotificationsUnitOfWork) -> None:
    """Keep the cell's state; a revision of an approved cell, or a return, is news."""
    cell = await uow.replica.cell(
        event.project_id, event.indicator_code, event.period, event.dimension_key
    ) or ReportCell(
        project_id=event.project_id,
        indicator_code=event.indicator_code,
        period=event.period,
        dimension_key=event.dimension_key,
        version=0,
        state="submitted",
    )
    if isinstance(event, kpi.ReportSubmitted):  # and revisions
        if isinstance(event, kpi.ReportRevised) and cell.approved_version is not None:
            await _raise(
                uow,
                rules.revised_after_approval(
                    event.project_id,
                    await _code(uow, event.project_id),
                    event.indicator_code,
                    event.period,
                    event.version,
                    event.reason,
                ),
            )
        if event.version >= cell.version:
            cell.version, cell.state = event.version, "submitted"
    elif isinstance(event, kpi.ReportApproved):
        cell.approved_version = max(cell.approved_version or 0, event.version)
        if event.version >= cell.version:
            cell.version, cell.state = event.version, "approved"
    elif isinstance(event, kpi.ReportReturned):
        if event.version >= cell.version:
            cell.version, cell.state = event.version, "returned"
        await _raise(
            uow,
            rules.report_returned(
                event.project_id,
                await _code(uow, event.project_id),
                event.indicator_code,
                event.period,
                event.version,
                event.reason,
            ),
        )
    await uow.replica.put(cell, _CELL_KEYS)


async def on_progress(event: kpi.ProgressStatusChanged, uow: NotificationsUnitOfWork) -> None:
    params = await services.rule_params(uow, rules.PROGRESS_SLIPPED)
    if params is None:
        return
    occurrence = rules.progress_slipped(
        event.project_id,
        await _code(uow, event.project_id),
        event.indicator_code,
        event.status,
        event.as_of,
        event.percent_of_target,
        params,
    )
    if occurrence is not None:
        await services.raise_notification(uow, occurrence)


async def on_restatement(event: kpi.RestatementFlagged, uow: NotificationsUnitOfWork) -> None:
    """Finance hears of late data for a transmitted period (when the policy says so)."""
    if not event.notify_finance:
        return
    await _raise(
        uow,
        rules.restatement_flagged(
            event.report_id,
            event.project_id,
            await _code(uow, event.project_id),
            event.indicator_code,
            event.period,
            event.version,
            event.value,
            event.previous_value,
            event.reason,
            event.submitted_by,
            list(event.restates),
        ),
    )


# --- funding.events.v1 ----------------------------------------------------------------------


async def on_payment(event: funding.PaymentMade, uow: NotificationsUnitOfWork) -> None:
    await _raise(
        uow,
        rules.payment_made(
            event.payment_id,
            event.project_id,
            await _code(uow, event.project_id),
            event.fund,
            event.kind,
            event.amount,
            event.paid_on,
        ),
    )


async def on_budget(event: funding.BudgetUsage, uow: NotificationsUnitOfWork) -> None:
    params = await services.rule_params(uow, rules.BUDGET_NEARLY_COMMITTED)
    if params is None:
        return
    occurrence = rules.budget_alert(
        event.programme_id,
        event.goal_id,
        event.goal_code,
        event.fund,
        event.committed_share,
        params,
    )
    if occurrence is not None:
        await services.raise_notification(uow, occurrence)


async def on_transmission(event: funding.TransmissionSealed, uow: NotificationsUnitOfWork) -> None:
    await _raise(
        uow,
        rules.transmission_sealed(
            event.transmission_id,
            event.label,
            event.as_of,
            event.correction,
            event.actor,
            len(event.restatements),
        ),
    )


# --- every *.dlq topic ----------------------------------------------------------------------


async def on_dead_letter(message: ReceivedMessage, uow: NotificationsUnitOfWork) -> None:
    headers = {k: v.decode(errors="replace") for k, v in message.headers}
    await _raise(
        uow,
        rules.dead_letter(
            message.topic,
            message.partition,
            message.offset,
            headers.get("dlq_error", "no error recorded"),
            headers.get("ce_type", ""),
        ),
    )
