"""Which event reaches which reaction, and the consumer groups that read them: the one
declaration of this service's subscriptions (`SUBSCRIPTIONS`), which the worker (`main.py`)
builds its processors from and the platform runner (`services/platform.py`) watches."""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from services.kpi import chain, replica, restatements
from services.kpi.config import KpiSettings
from services.kpi.projection import Options, apply_kpi_events
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import funding, topics
from shared.contracts import kpi as kpi_events
from shared.contracts import projects as registry
from shared.messaging.subscriptions import Subscription

Handler = Callable[[Any, KpiUnitOfWork], Awaitable[None]]

REGISTRY_REPLICA = "kpi.registry-replica"
AGGREGATES = "kpi.aggregates"
GOAL_INPUTS = "kpi.goal-inputs"


def options(settings: KpiSettings) -> Options:
    """The projection's options from the settings: the progress tolerances."""
    return Options(tolerances=settings.tolerances)


def funding_handlers() -> dict[str, Handler]:
    """Money per goal node and fund, for the results chain's input side; the transmitted
    EU cut-offs, for late data (ADR 30)."""
    return {
        funding.BudgetUsage.type: chain.on_goal_money,
        funding.TransmissionSealed.type: restatements.on_transmission_sealed,
    }


def registry_handlers(options: Options) -> dict[str, Handler]:
    on_project: Handler = partial(_on_project, options=options)
    return {
        registry.ProgrammeCreated.type: replica.on_programme,
        registry.ProgrammeUpdated.type: replica.on_programme,
        registry.GoalNodeAdded.type: replica.on_goal,
        registry.GoalNodeUpdated.type: replica.on_goal,
        registry.OrganisationRegistered.type: replica.on_organisation,
        registry.OrganisationUpdated.type: replica.on_organisation,
        registry.ProjectRegistered.type: on_project,
        registry.ProjectUpdated.type: on_project,
        registry.ProjectStatusChanged.type: on_project,
    }


async def _on_project(event: registry.ProjectEvent, uow: KpiUnitOfWork, options: Options) -> None:
    await replica.on_project(event, uow, options)


def projection_batch_handler(
    options: Options,
) -> Callable[[list[Any], KpiUnitOfWork], Awaitable[None]]:
    """A fetched batch in one transaction: totals touched by many events are written once."""

    async def apply(batch: list[Any], uow: KpiUnitOfWork) -> None:
        await apply_kpi_events(uow, batch, options)

    return apply


def projection_handlers(options: Options) -> dict[str, Handler]:
    async def on_kpi_event(event: kpi_events.KpiEvent, uow: KpiUnitOfWork) -> None:
        await apply_kpi_events(uow, [event], options)

    return {
        t.type: on_kpi_event
        for t in (
            kpi_events.ReportSubmitted,
            kpi_events.ReportRevised,
            kpi_events.ReportApproved,
            kpi_events.ReportReturned,
            kpi_events.TargetSet,
        )
    }


SUBSCRIPTIONS: tuple[Subscription[KpiSettings, KpiUnitOfWork], ...] = (
    Subscription(
        REGISTRY_REPLICA, (topics.PROJECTS,), handlers=lambda s: registry_handlers(options(s))
    ),
    Subscription(
        AGGREGATES,
        (topics.KPI,),
        handlers=lambda s: projection_handlers(options(s)),
        batch_handler=lambda s: projection_batch_handler(options(s)),
    ),
    Subscription(GOAL_INPUTS, (topics.FUNDING,), handlers=lambda _: funding_handlers()),
)
