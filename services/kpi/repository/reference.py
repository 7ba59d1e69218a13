"""Whole tables of reference data for the per-process cache."""

import uuid
from typing import Any

from sqlalchemy import select as sa_select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import (
    GoalReplica,
    Indicator,
    LockException,
    PeriodLock,
    ProjectGoalReplica,
    ProjectKpi,
    ProjectMemberReplica,
    ProjectReplica,
)
from services.kpi.repository.rows import (
    IndicatorRow,
    KpiRule,
    ProjectFacts,
    R,
    _pair,
    _plain_select,
)
from shared.db import (
    fetch_rows,
    table_of,
    table_versions,
)


class ReferenceRepository:
    """Whole tables of reference data, as plain rows, for the per-process cache
    (`services.kpi.reference`), and the version numbers that tell when to read them again."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def versions(self) -> dict[str, int]:
        return await table_versions(self.session)

    async def projects(self) -> list[ProjectFacts]:
        return await self._all(ProjectReplica, ProjectFacts)

    async def members(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        table = table_of(ProjectMemberReplica)
        statement = sa_select(table.c.project_id, table.c.organisation_id)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def goal_parents(self) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
        table = table_of(GoalReplica)
        statement = sa_select(table.c.id, table.c.parent_id)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def project_goals(self) -> list[tuple[uuid.UUID, uuid.UUID]]:
        table = table_of(ProjectGoalReplica)
        statement = sa_select(table.c.project_id, table.c.goal_id)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def kpi_rules(self) -> list[KpiRule]:
        return await self._all(ProjectKpi, KpiRule)

    async def indicators(self) -> list[IndicatorRow]:
        return await self._all(Indicator, IndicatorRow)

    async def locks(self) -> list[tuple[uuid.UUID, str]]:
        table = table_of(PeriodLock)
        statement = sa_select(table.c.programme_id, table.c.period)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def lock_exceptions(self) -> list[tuple[uuid.UUID, str]]:
        table = table_of(LockException)
        statement = sa_select(table.c.project_id, table.c.period)
        return await fetch_rows(await self.session.connection(), statement, _pair)

    async def _all(self, model: Any, row_type: type[R]) -> list[R]:
        connection = await self.session.connection()
        return await fetch_rows(connection, _plain_select(model, row_type), row_type)
