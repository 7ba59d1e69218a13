"""What the results chain's use cases share: the goal they work on, known from the replica."""

import uuid

from services.kpi.models import GoalReplica
from services.kpi.uow import KpiUnitOfWork
from shared.errors import NotFoundError


class UnknownGoalError(NotFoundError):
    pass


async def known_goal(uow: KpiUnitOfWork, goal_id: uuid.UUID) -> GoalReplica:
    """The goal, within an open unit of work; 404 while the registry's event is on its way."""
    goal = await uow.replica.goal(goal_id)
    if goal is None:
        raise UnknownGoalError(f"goal {goal_id} is not known (yet) to the KPI service")
    return goal
