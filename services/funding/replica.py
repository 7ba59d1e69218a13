"""What the funding service knows of programmes, goals and projects, and of their outputs.

Kept from projects.events.v1 and kpi.events.v1 only; every write is an upsert of the
latest state, so a redelivered event changes nothing.
"""

from services.funding.models import GoalReplica, ProgrammeReplica, ProjectReplica, RealisedOutput
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
