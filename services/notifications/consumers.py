"""Which event reaches which reaction, and the consumer groups that read them: the one
declaration of this service's subscriptions (`SUBSCRIPTIONS`), which the worker (`main.py`)
builds its processors from and the platform runner (`services/platform.py`) watches."""

from collections.abc import Awaitable, Callable
from typing import Any

from services.notifications import reactions
from services.notifications.config import NotificationsSettings
from services.notifications.uow import NotificationsUnitOfWork
from shared.contracts import funding, kpi, topics
from shared.contracts import projects as registry
from shared.messaging.subscriptions import Subscription

Handler = Callable[[Any, NotificationsUnitOfWork], Awaitable[None]]

REGISTRY_REPLICA = "notifications.registry-replica"
KPI_RULES = "notifications.kpi"
FUNDING_RULES = "notifications.funding"
DEAD_LETTERS = "notifications.dead-letters"


def registry_handlers() -> dict[str, Handler]:
    return {
        registry.ProjectRegistered.type: reactions.on_project,
        registry.ProjectUpdated.type: reactions.on_project,
        registry.ProjectStatusChanged.type: reactions.on_project,
    }


def kpi_handlers() -> dict[str, Handler]:
    return {
        kpi.RestatementFlagged.type: reactions.on_restatement,
        kpi.TargetSet.type: reactions.on_target_set,
        kpi.ReportSubmitted.type: reactions.on_report,
        kpi.ReportRevised.type: reactions.on_report,
        kpi.ReportApproved.type: reactions.on_report,
        kpi.ReportReturned.type: reactions.on_report,
        kpi.ProgressStatusChanged.type: reactions.on_progress,
    }


def funding_handlers() -> dict[str, Handler]:
    return {
        funding.PaymentMade.type: reactions.on_payment,
        funding.BudgetUsage.type: reactions.on_budget,
        funding.TransmissionSealed.type: reactions.on_transmission,
    }


SUBSCRIPTIONS: tuple[Subscription[NotificationsSettings, NotificationsUnitOfWork], ...] = (
    Subscription(REGISTRY_REPLICA, (topics.PROJECTS,), handlers=lambda _: registry_handlers()),
    Subscription(KPI_RULES, (topics.KPI,), handlers=lambda _: kpi_handlers()),
    Subscription(FUNDING_RULES, (topics.FUNDING,), handlers=lambda _: funding_handlers()),
    # Every *.dlq topic: a dead letter is news for the admins (rules.dead_letter).
    Subscription(
        DEAD_LETTERS,
        tuple(topics.dlq(t.name) for t in topics.EVENT_TOPICS),
        dead_letters=reactions.on_dead_letter,
    ),
)
