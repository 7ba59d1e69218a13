"""Organisations (partners): register, update, read; name and KvK number unique."""

import uuid

from services.projects import domain
from services.projects.models import Organisation
from services.projects.schemas import (
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
    Page,
)
from services.projects.services.locks import (
    ORGANISATION_NAMES,
    commit,
)
from services.projects.uow import RegistryUnitOfWork
from shared.auth import StaffUser
from shared.contracts import projects as events
from shared.db import utcnow


def _organisation_event(
    cls: type[events.OrganisationEvent], org: Organisation, actor: str
) -> events.OrganisationEvent:
    return cls(
        organisation_id=org.id, name=org.name, kind=org.kind, kvk_number=org.kvk_number, actor=actor
    )


async def _check_organisation_unique(
    uow: RegistryUnitOfWork, name: str | None, kvk: str | None, current: uuid.UUID | None = None
) -> None:
    if name and (other := await uow.organisations.by_name(name)) and other.id != current:
        raise domain.DuplicateError("organisation", "name", name)
    if kvk and (other := await uow.organisations.by_kvk(kvk)) and other.id != current:
        raise domain.DuplicateError("organisation", "kvk_number", kvk)


async def register_organisation(
    uow: RegistryUnitOfWork, data: OrganisationCreate, user: StaffUser
) -> OrganisationPublic:
    async with uow:
        await uow.lock(ORGANISATION_NAMES)
        await _check_organisation_unique(uow, data.name, data.kvk_number)
        org = Organisation(name=data.name, kind=data.kind, kvk_number=data.kvk_number)
        uow.organisations.add(org)
        uow.publish(_organisation_event(events.OrganisationRegistered, org, user.username))
        await commit(uow, "organisation")
        return OrganisationPublic.model_validate(org, from_attributes=True)


async def update_organisation(
    uow: RegistryUnitOfWork, organisation_id: uuid.UUID, data: OrganisationUpdate, user: StaffUser
) -> OrganisationPublic:
    async with uow:
        await uow.lock(ORGANISATION_NAMES)
        org = await _organisation(uow, organisation_id)
        changes = data.model_dump(exclude_unset=True)
        await _check_organisation_unique(
            uow, changes.get("name"), changes.get("kvk_number"), org.id
        )
        for field, value in changes.items():
            setattr(org, field, value)
        org.updated_at = utcnow()
        uow.organisations.add(org)
        uow.publish(_organisation_event(events.OrganisationUpdated, org, user.username))
        await commit(uow, "organisation")
        return OrganisationPublic.model_validate(org, from_attributes=True)


async def get_organisation(
    uow: RegistryUnitOfWork, organisation_id: uuid.UUID
) -> OrganisationPublic:
    async with uow:
        return OrganisationPublic.model_validate(
            await _organisation(uow, organisation_id), from_attributes=True
        )


async def list_organisations(
    uow: RegistryUnitOfWork, limit: int, offset: int, kind: str | None, name_contains: str | None
) -> Page[OrganisationPublic]:
    async with uow:
        rows, total = await uow.organisations.page(limit, offset, kind, name_contains)
        data = [OrganisationPublic.model_validate(r, from_attributes=True) for r in rows]
        return Page(data=data, count=total, limit=limit, offset=offset)


async def _organisation(uow: RegistryUnitOfWork, organisation_id: uuid.UUID) -> Organisation:
    org = await uow.organisations.get(organisation_id)
    if org is None:
        raise domain.UnknownRecordError("organisation", organisation_id)
    return org
