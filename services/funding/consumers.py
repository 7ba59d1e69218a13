"""Which event reaches which reaction, and the consumer groups that read them: the one
declaration of this service's subscriptions (`SUBSCRIPTIONS`), which the worker (`main.py`)
builds its processors from and the platform runner (`services/platform.py`) watches."""

from collections.abc import Awaitable, Callable
from typing import Any

from services.funding import replica
from services.funding.config import FundingSettings
from services.funding.uow import FundingUnitOfWork
from shared.contracts import kpi, topics
from shared.contracts import projects as registry
from shared.messaging.subscriptions import Subscription

Handler = Callable[[Any, FundingUnitOfWork], Awaitable[None]]

REGISTRY_REPLICA = "funding.registry-replica"
OUTPUTS = "funding.outputs"
REPORT_VERSIONS = "funding.report-versions"
TARGETS = "funding.targets"


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
    """The report versions behind the figures, the restatements and the indicator
    definitions (ADR 30, 32): a group of its own, so it reads kpi.events.v1 from its start."""
    return {
        kpi.ReportSubmitted.type: replica.on_report_version,
        kpi.ReportRevised.type: replica.on_report_version,
        kpi.ReportApproved.type: replica.on_report_reviewed,
        kpi.ReportReturned.type: replica.on_report_reviewed,
        kpi.RestatementFlagged.type: replica.on_restatement,
        kpi.IndicatorDefined.type: replica.on_indicator_defined,
    }


def target_handlers() -> dict[str, Handler]:
    """The projects' declared targets (the EU report's planned values): a group of its own,
    so it reads kpi.events.v1 from its start and learns the targets declared before it."""
    return {kpi.TargetSet.type: replica.on_target_set}


SUBSCRIPTIONS: tuple[Subscription[FundingSettings, FundingUnitOfWork], ...] = (
    Subscription(REGISTRY_REPLICA, (topics.PROJECTS,), handlers=lambda _: registry_handlers()),
    Subscription(OUTPUTS, (topics.KPI,), handlers=lambda _: output_handlers()),
    Subscription(REPORT_VERSIONS, (topics.KPI,), handlers=lambda _: report_version_handlers()),
    Subscription(TARGETS, (topics.KPI,), handlers=lambda _: target_handlers()),
)
