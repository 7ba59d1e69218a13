"""What every use case of the KPI service shares: committing, and who may read a project."""

import uuid

from sqlalchemy.exc import IntegrityError

from services.kpi.access import Principal
from services.kpi.domain.errors import (
    NotYourProjectError,
    UnknownProjectError,
)
from services.kpi.uow import KpiUnitOfWork
from shared.errors import (
    ConflictError,
)


async def commit(uow: KpiUnitOfWork) -> None:
    try:
        await uow.commit()
    except IntegrityError as exc:
        await uow.rollback()
        raise ConflictError(
            "another request changed the same report at the same moment; retry"
        ) from exc


async def check_readable(
    uow: KpiUnitOfWork, principal: Principal, project: uuid.UUID | str
) -> uuid.UUID:
    """The project (by id or code, as partner systems know it) if the caller may read it."""
    found = (await uow.reference()).project(str(project))
    if found is None:
        raise UnknownProjectError(project)
    if principal.reads_any_project:
        return found.id
    if principal.organisation_id is None or not await uow.replica.is_member(
        found.id, principal.organisation_id
    ):
        raise NotYourProjectError(found.code)
    return found.id


def key_lock(key_hash: str) -> str:
    """A partner key: reports written with it hold it shared, its revocation exclusively."""
    return f"kpi.api-key:{key_hash}"
