"""What every use case of the registry shares: the locks its rules take (ADR 24) and the
commit that turns a lost race into a 409."""

import uuid

from sqlalchemy.exc import IntegrityError

from services.projects import domain
from services.projects.uow import RegistryUnitOfWork

# Each rule that reads, then writes takes its lock before the read, held to commit: an
# advisory lock on PostgreSQL; on SQLite the writing unit of work holds the write lock already.

ORGANISATION_NAMES = "registry.organisation-names"  # names (any case) and KvK numbers unique
PROGRAMME_NAMES = "registry.programme-names"
PROJECT_CODES = "registry.project-codes"


def goal_tree_lock(programme_id: uuid.UUID) -> str:
    """A programme's goal tree: placements, no cycles, codes unique within the programme."""
    return f"registry.goal-tree:{programme_id}"


def project_lock(project_id: uuid.UUID) -> str:
    """One project's lifecycle and version: each change starts from the state the last left."""
    return f"registry.project:{project_id}"


async def commit(uow: RegistryUnitOfWork, what: str) -> None:
    """Commit; a unique constraint that a concurrent request won is a 409, not a 500."""
    try:
        await uow.commit()
    except IntegrityError as exc:
        await uow.rollback()
        raise domain.ConcurrentChangeError(what) from exc
