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
REPORT_VERSIONS = "funding.report-versions"


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


def report_version_handlers() -> dict[str, Handler]:
    """The report versions behind the figures, and the restatements (ADR 30): a group of
    its own, so it reads kpi.events.v1 from its start."""
    return {
        kpi.ReportSubmitted.type: replica.on_report_version,
        kpi.ReportRevised.type: replica.on_report_version,
        kpi.ReportApproved.type: replica.on_report_reviewed,
        kpi.ReportReturned.type: replica.on_report_reviewed,
        kpi.RestatementFlagged.type: replica.on_restatement,
    }
