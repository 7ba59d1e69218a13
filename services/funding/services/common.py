"""What the funding use cases share: their errors, their locks (ADR 24), the programme
and project they act on."""

import uuid

from services.funding.models import (
    ProjectReplica,
)
from services.funding.uow import FundingUnitOfWork
from shared.errors import ConflictError, NotFoundError


class UnknownError(NotFoundError):
    pass


class PlanMovedOnError(ConflictError):
    """An amendment drawn up from a version that another amendment has since replaced: saving
    it would silently undo the other one's changes."""

    def __init__(self, based_on: int, current: int) -> None:
        super().__init__(
            f"the plan is at version {current}, not {based_on}: another amendment came first; "
            f"draw this one up from version {current}",
            current_version=current,
        )


# --- locks (ADR 24) ---------------------------------------------------------------------------
# Taken before the state a rule checks is read; held to commit. On SQLite a writing unit of
# work already holds the database's write lock, so these cost nothing there.

RULES_LOCK = "funding.rules"  # ceilings, priority rates, programme settings


def money_lock(project_id: uuid.UUID) -> str:
    """A project's plan, grants, de-commitments, payments and settlements: every money rule of
    one project (payments <= committed - paid, grants <= plan, plan >= committed, plan
    versions, settlement once, recoveries <= paid) reads and writes under it."""
    return f"funding.project-money:{project_id}"


def reference_lock(reference: str) -> str:
    """A decision's reference (kenmerk) is unique across projects."""
    return f"funding.decision-reference:{reference}"


async def require_programme(uow: FundingUnitOfWork, programme_id: uuid.UUID) -> None:
    if await uow.replica.programme(programme_id) is None:
        raise UnknownError(f"programme {programme_id} is not known (yet) to the funding service")


async def known_project(uow: FundingUnitOfWork, project_id: uuid.UUID) -> ProjectReplica:
    project = await uow.replica.project(project_id)
    if project is None:
        raise UnknownError(f"project {project_id} is not known (yet) to the funding service")
    return project
