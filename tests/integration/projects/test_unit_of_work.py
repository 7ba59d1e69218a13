"""The unit of work on SQLite and PostgreSQL: a change and its event commit together, or neither."""

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func
from sqlmodel import select

from services.projects import services
from services.projects.domain import ConcurrentChangeError, OrganisationKind
from services.projects.models import Organisation
from services.projects.schemas import OrganisationCreate
from services.projects.uow import RegistryUnitOfWork
from shared.auth import Role, StaffUser
from shared.contracts import projects as events
from shared.db import OutboxMessage
from shared.runtime import ServiceRuntime
from tests.conftest import registry_settings

PM = StaffUser(username="pm", roles=frozenset({Role.PROGRAMME_MANAGER}))


@pytest.fixture
async def runtime(registry_db: str) -> AsyncIterator[ServiceRuntime]:
    runtime = ServiceRuntime.from_settings(registry_settings(registry_db))
    yield runtime
    await runtime.close()


def _uow(runtime: ServiceRuntime) -> RegistryUnitOfWork:
    return RegistryUnitOfWork(runtime.sessions, source="projects")


async def _counts(runtime: ServiceRuntime) -> tuple[int, int]:
    async with runtime.sessions() as session:
        orgs = (await session.exec(select(func.count()).select_from(Organisation))).one()
        outbox = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
        return int(orgs), int(outbox)


async def test_a_change_and_its_event_are_committed_together(runtime: ServiceRuntime) -> None:
    created = await services.register_organisation(
        _uow(runtime),
        OrganisationCreate(name="Gemeente Emmen", kind=OrganisationKind.MUNICIPALITY),
        PM,
    )
    async with runtime.sessions() as session:
        [row] = (await session.exec(select(OutboxMessage))).all()
    assert row.type == "projects.organisation.registered.v1"
    assert row.topic == "projects.events.v1"
    assert row.key == row.subject == str(created.id)
    assert row.sent_at is None
    assert await _counts(runtime) == (1, 1)


async def test_an_exception_before_commit_leaves_neither_change_nor_event(
    runtime: ServiceRuntime,
) -> None:
    org = Organisation(name="Half BV", kind="company")
    with pytest.raises(RuntimeError):
        async with _uow(runtime) as uow:
            uow.organisations.add(org)
            uow.publish(
                events.OrganisationRegistered(
                    organisation_id=org.id, name=org.name, kind=org.kind, kvk_number=None, actor="t"
                )
            )
            await uow.session.flush()
            raise RuntimeError("the process died here")
    assert await _counts(runtime) == (0, 0)


async def test_a_unique_clash_found_only_at_commit_is_a_conflict_and_writes_nothing(
    runtime: ServiceRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = OrganisationCreate(name="UWV", kind=OrganisationKind.NATIONAL_GOVERNMENT)
    await services.register_organisation(_uow(runtime), data, PM)

    async def nobody(*_: object) -> None:
        return None  # as if the other request committed just after our check

    monkeypatch.setattr("services.projects.repository.OrganisationRepository.by_name", nobody)
    with pytest.raises(ConcurrentChangeError):
        await services.register_organisation(_uow(runtime), data, PM)
    assert await _counts(runtime) == (1, 1)
