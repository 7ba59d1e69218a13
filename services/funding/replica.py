"""What the funding service knows of programmes, goals and projects, and of their outputs.

Kept from projects.events.v1 and kpi.events.v1 only; every write is an upsert of the
latest state, so a redelivered event changes nothing.
"""

from services.funding.domain.transmissions import period_end
from services.funding.models import (
    DeclaredTarget,
    DefinitionReplica,
    GoalReplica,
    ProgrammeReplica,
    ProjectReplica,
    RealisedOutput,
    ReportVersionReplica,
    RestatementReplica,
)
from services.funding.uow import FundingUnitOfWork
from shared.contracts import kpi
from shared.contracts import projects as registry


async def on_programme(event: registry.ProgrammeEvent, uow: FundingUnitOfWork) -> None:
    await uow.replica.put(
        ProgrammeReplica(
            id=event.programme_id,
            name=event.name,
            period_start=event.period_start,
            period_end=event.period_end,
        )
    )


async def on_goal(event: registry.GoalNodeEvent, uow: FundingUnitOfWork) -> None:
    await uow.replica.put(
        GoalReplica(
            id=event.goal_id,
            programme_id=event.programme_id,
            parent_id=event.parent_id,
            kind=event.kind,
            code=event.code,
            name=event.name,
        )
    )


async def on_project(event: registry.ProjectEvent, uow: FundingUnitOfWork) -> None:
    existing = await uow.replica.project(event.project_id)
    if existing is not None and existing.version >= event.version:
        return  # an older state than the one we hold
    await uow.replica.put(
        ProjectReplica(
            id=event.project_id,
            programme_id=event.programme_id,
            code=event.code,
            name=event.name,
            municipality=event.municipality,
            status=event.status,
            version=event.version,
        )
    )
    await uow.replica.replace_goals(event.project_id, event.goal_ids)


async def on_output_realised(event: kpi.OutputRealised, uow: FundingUnitOfWork) -> None:
    """The event of one indicator (no longer written by the KPI service, still read)."""
    await uow.outputs.put([RealisedOutput(**event.model_dump())])


async def on_outputs_realised(event: kpi.OutputsRealised, uow: FundingUnitOfWork) -> None:
    await uow.outputs.put(
        [RealisedOutput(project_id=event.project_id, **o.model_dump()) for o in event.outputs]
    )


async def on_target_set(event: kpi.TargetSet, uow: FundingUnitOfWork) -> None:
    """A project's KPI declaration: its end target is what the EU report counts as planned."""
    await uow.outputs.put_target(
        DeclaredTarget(
            project_id=event.project_id,
            indicator_code=event.indicator_code,
            indicator_kind=event.indicator_kind,
            target_value=event.target_value,
            target_date=event.target_date,
            set_by=event.actor,
            recorded_at=uow.now,
        )
    )


# --- report versions and restatements (ADR 30) ----------------------------------------------


async def on_report_version(event: kpi.ReportSubmitted, uow: FundingUnitOfWork) -> None:
    """A new version of a cell (a first report or a revision); a redelivery changes nothing."""
    if await uow.transmissions.version(event.report_id) is not None:
        return
    uow.transmissions.put_version(
        ReportVersionReplica(
            report_id=event.report_id,
            project_id=event.project_id,
            indicator_code=event.indicator_code,
            period=event.period,
            period_end=period_end(event.period),
            dimension_key=event.dimension_key,
            version=event.version,
            value=event.value,
            state="submitted",
            submitted_by=event.submitted_by,
            reason=event.reason if isinstance(event, kpi.ReportRevised) else None,
            flags=list(event.flags),
            identifiers=list(event.identifiers),
            recorded_at=uow.now,
        )
    )


async def on_report_reviewed(
    event: kpi.ReportApproved | kpi.ReportReturned, uow: FundingUnitOfWork
) -> None:
    row = await uow.transmissions.version(event.report_id)
    if row is None:
        return  # its submission is older than the replica: nothing to say of it
    state = "approved" if isinstance(event, kpi.ReportApproved) else "returned"
    if row.state == state:
        return
    row.state, row.reviewed_by = state, event.reviewed_by
    row.review_reason = event.reason if isinstance(event, kpi.ReportReturned) else None
    row.reviewed_recorded_at = uow.now
    uow.transmissions.put_version(row)


async def on_restatement(event: kpi.RestatementFlagged, uow: FundingUnitOfWork) -> None:
    await uow.transmissions.put_restatement(
        RestatementReplica(
            report_id=event.report_id,
            project_id=event.project_id,
            indicator_code=event.indicator_code,
            period=event.period,
            dimension_key=event.dimension_key,
            version=event.version,
            kind=event.kind,
            value=event.value,
            previous_value=event.previous_value,
            reason=event.reason,
            submitted_by=event.submitted_by,
            restates=list(event.restates),
            recorded_at=uow.now,
        )
    )


async def on_indicator_defined(event: kpi.IndicatorDefined, uow: FundingUnitOfWork) -> None:
    """An indicator's definitions (every version): replaced as a whole, so a redelivery or an
    older announcement again leaves the latest full state once a newer one arrives."""
    known = (await uow.transmissions.definitions([event.indicator_code])).get(
        event.indicator_code, []
    )
    if known and max(d.version for d in known) > max(
        (d.version for d in event.definitions), default=0
    ):
        return  # an older state than the one we hold
    await uow.transmissions.put_definitions(
        event.indicator_code,
        [
            DefinitionReplica(
                indicator_code=event.indicator_code,
                counted_once=event.counted_once,
                **{
                    **d.model_dump(),
                    "conversion_factor": None
                    if d.conversion_factor is None
                    else str(d.conversion_factor),
                },
            )
            for d in event.definitions
        ],
    )
