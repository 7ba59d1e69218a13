"""Partner API keys, idempotency records, period locks and exceptions."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import (
    ApiKey,
    IdempotencyRecord,
    LockException,
    PeriodLock,
    ProjectReplica,
)
from shared.db import (
    table_of,
)

_API_KEYS = table_of(ApiKey)
_KEY_OWNERS = sa_select(
    _API_KEYS.c.key_hash, _API_KEYS.c.organisation_id, _API_KEYS.c.revoked_at
).where(_API_KEYS.c.key_hash.in_(bindparam("key_hashes", expanding=True)))


class AccessRepository:
    """API keys, period locks and lock exceptions, idempotency records."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, item: ApiKey | PeriodLock | LockException | IdempotencyRecord) -> None:
        self.session.add(item)

    async def key_owners(
        self, key_hashes: Sequence[str]
    ) -> dict[str, tuple[uuid.UUID, datetime | None]]:
        """Organisation and revocation time per key: asked on every partner request, so
        plain rows through a statement built once."""
        connection = await self.session.connection()
        result = await connection.execute(_KEY_OWNERS, {"key_hashes": list(key_hashes)})
        return {h: (organisation, revoked) for h, organisation, revoked in result}

    async def key(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def keys(self, organisation_id: uuid.UUID | None) -> list[ApiKey]:
        query = select(ApiKey).order_by(col(ApiKey.created_at))
        if organisation_id:
            query = query.where(ApiKey.organisation_id == organisation_id)
        return list((await self.session.exec(query)).all())

    async def lock(self, programme_id: uuid.UUID, period: str) -> PeriodLock | None:
        result = await self.session.exec(
            select(PeriodLock).where(
                PeriodLock.programme_id == programme_id, PeriodLock.period == period
            )
        )
        return result.first()

    async def lock_exception(self, project_id: uuid.UUID, period: str) -> LockException | None:
        return await self.session.get(LockException, (project_id, period))

    async def locks_of(self, programme_id: uuid.UUID) -> list[PeriodLock]:
        """A programme's locked periods, in the order they were locked."""
        result = await self.session.exec(
            select(PeriodLock)
            .where(PeriodLock.programme_id == programme_id)
            .order_by(col(PeriodLock.locked_at), col(PeriodLock.period))
        )
        return list(result.all())

    async def exceptions_of(
        self, programme_id: uuid.UUID
    ) -> list[tuple[LockException, ProjectReplica]]:
        """The lock exceptions of a programme's projects, with the project they are for
        (an exception names a project only; the registry replica says whose it is)."""
        result = await self.session.exec(
            select(LockException, ProjectReplica)
            .join(ProjectReplica, col(ProjectReplica.id) == col(LockException.project_id))
            .where(ProjectReplica.programme_id == programme_id)
            .order_by(col(LockException.granted_at), col(ProjectReplica.code))
        )
        return [(exception, project) for exception, project in result.all()]

    async def idempotency_many(
        self, principal: str, keys: Iterable[str]
    ) -> dict[str, IdempotencyRecord]:
        wanted = list(set(keys))
        if not wanted:
            return {}
        result = await self.session.exec(
            select(IdempotencyRecord).where(
                IdempotencyRecord.principal == principal, col(IdempotencyRecord.key).in_(wanted)
            )
        )
        return {r.key: r for r in result.all()}
