"""A minimal consumer-side service for exercising the shared consumer plumbing.

It records each applied event as a row, so a test can count effects exactly; it
runs on the real inbox and outbox tables, against a real database.
"""

import uuid

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts import projects as events
from shared.db import PlatformBase, create_engine, session_factory
from shared.uow import SqlUnitOfWork


class RecorderBase(SQLModel, registry=registry()):
    pass


class Effect(RecorderBase, table=True):
    __tablename__ = "effects"

    id: int | None = Field(default=None, primary_key=True)
    subject: str
    name: str


class RecorderUnitOfWork(SqlUnitOfWork):
    pass


FAIL_NAME = "always-fails"


async def on_organisation_registered(
    event: events.OrganisationRegistered, uow: RecorderUnitOfWork
) -> None:
    """Record the event; an organisation named FAIL_NAME makes the handler fail every time."""
    if event.name == FAIL_NAME:
        raise RuntimeError("this handler cannot apply that event")
    uow.session.add(Effect(subject=str(event.organisation_id), name=event.name))


HANDLERS = {events.OrganisationRegistered.type: on_organisation_registered}


async def apply_all(batch: list[events.OrganisationRegistered], uow: RecorderUnitOfWork) -> None:
    for event in batch:
        await on_organisation_registered(event, uow)


async def recorder_sessions(url: str) -> async_sessionmaker[AsyncSession]:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(PlatformBase.metadata.create_all)
        await conn.run_sync(RecorderBase.metadata.create_all)
    return session_factory(engine)


async def effects_for(sessions: async_sessionmaker[AsyncSession], subject: uuid.UUID) -> int:
    async with sessions() as session:
        result = await session.exec(
            select(func.count()).select_from(Effect).where(Effect.subject == str(subject))
        )
        return int(result.one())


def organisation_registered(name: str = "Hanzehogeschool") -> events.OrganisationRegistered:
    return events.OrganisationRegistered(
        organisation_id=uuid.uuid4(),
        name=name,
        kind="knowledge_institution",
        kvk_number=None,
        actor="test",
    )
