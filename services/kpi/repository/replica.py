"""The registry replica: programmes, goals, organisations, projects, links."""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import (
    GoalReplica,
    OrganisationReplica,
    ProgrammeReplica,
    ProjectGoalReplica,
    ProjectMemberReplica,
    ProjectReplica,
)
from services.kpi.repository.rows import (
    ProjectFacts,
    _plain_select,
)
from shared.db import (
    fetch_rows,
)


class ReplicaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def project(self, project_id: uuid.UUID) -> ProjectReplica | None:
        return await self.session.get(ProjectReplica, project_id)

    async def project_by_code(self, code: str) -> ProjectReplica | None:
        result = await self.session.exec(
            select(ProjectReplica).where(func.lower(ProjectReplica.code) == code.lower())
        )
        return result.first()

    async def projects(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ProjectFacts]:
        wanted = set(ids)
        if not wanted:
            return {}
        return {p.id: p for p in await self._facts(col(ProjectReplica.id).in_(wanted))}

    async def _facts(self, where: Any) -> list[ProjectFacts]:
        connection = await self.session.connection()
        statement = _plain_select(ProjectReplica, ProjectFacts).where(where)
        return await fetch_rows(connection, statement, ProjectFacts)

    async def is_member(self, project_id: uuid.UUID, organisation_id: uuid.UUID) -> bool:
        row = await self.session.get(ProjectMemberReplica, (project_id, organisation_id))
        return row is not None

    async def goal_ids(self, project_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, set[uuid.UUID]]:
        result = await self.session.exec(
            select(ProjectGoalReplica).where(
                col(ProjectGoalReplica.project_id).in_(set(project_ids))
            )
        )
        grouped: dict[uuid.UUID, set[uuid.UUID]] = {}
        for link in result.all():
            grouped.setdefault(link.project_id, set()).add(link.goal_id)
        return grouped

    async def projects_on_goals(self, goal_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        result = await self.session.exec(
            select(ProjectGoalReplica.project_id).where(
                col(ProjectGoalReplica.goal_id).in_(set(goal_ids))
            )
        )
        return set(result.all())

    async def goals(self, programme_id: uuid.UUID) -> list[GoalReplica]:
        result = await self.session.exec(
            select(GoalReplica).where(GoalReplica.programme_id == programme_id)
        )
        return list(result.all())

    async def goal(self, goal_id: uuid.UUID) -> GoalReplica | None:
        return await self.session.get(GoalReplica, goal_id)

    async def programme(self, programme_id: uuid.UUID) -> ProgrammeReplica | None:
        return await self.session.get(ProgrammeReplica, programme_id)

    async def node_exists(self, node_id: uuid.UUID) -> bool:
        """A programme or a goal of one: the nodes totals are kept for."""
        return (
            await self.session.get(ProgrammeReplica, node_id) is not None
            or await self.session.get(GoalReplica, node_id) is not None
        )

    async def organisation(self, organisation_id: uuid.UUID) -> OrganisationReplica | None:
        return await self.session.get(OrganisationReplica, organisation_id)

    async def put(
        self, item: ProgrammeReplica | GoalReplica | OrganisationReplica | ProjectReplica
    ) -> None:
        await self.session.merge(item)

    async def replace_project_links(
        self,
        project_id: uuid.UUID,
        members: Sequence[tuple[uuid.UUID, str]],
        goal_ids: Iterable[uuid.UUID],
    ) -> None:
        await self.session.exec(
            delete(ProjectMemberReplica).where(col(ProjectMemberReplica.project_id) == project_id)
        )
        await self.session.exec(
            delete(ProjectGoalReplica).where(col(ProjectGoalReplica.project_id) == project_id)
        )
        self.session.add_all(
            ProjectMemberReplica(project_id=project_id, organisation_id=o, role=r)
            for o, r in members
        )
        self.session.add_all(
            ProjectGoalReplica(project_id=project_id, goal_id=g) for g in set(goal_ids)
        )
