"""Which event reaches which reaction: the registry replica and the realised outputs."""

from collections.abc import Awaitable, Callable
from typing import Any

from services.funding import replica
from services.funding.uow import FundingUnitOfWork
from shared.contracts import kpi
from shared.contracts import projects as registry

Handler = Callable[[Any, FundingUnitOfWork], Awaitable[None]]

REGISTRY_REPLICA = "funding.registry-replica"
OUTPUTS = "funding.outputs"


def registry_handlers() -> dict[str, Handler]:
    return {
        registry.ProgrammeCreated.type: replica.on_programme,
        registry.ProgrammeUpdated.type: replica.on_programme,
        registry.GoalNodeAdded.type: replica.on_goal,
        registry.GoalNodeUpdated.type: replica.on_goal,
        registry.ProjectRegistered.type: replica.on_project,
        registry.ProjectUpdated.type: replica.on_project,
        registry.ProjectStatusChanged.type: replica.on_project,
    }


def output_handlers() -> dict[str, Handler]:
    return {
        kpi.OutputRealised.type: replica.on_output_realised,
        kpi.OutputsRealised.type: replica.on_outputs_realised,
    }
