"""Data access for the registry, one repository per aggregate; no rules here."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import TypeVar

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from services.projects.domain import ProjectFilter as ProjectFilter
from services.projects.models import (
    GoalNode,
    Organisation,
    Programme,
    Project,
    ProjectGoal,
    ProjectMember,
    ProjectStatusChange,
)
from shared.db import delete_rows

T = TypeVar("T")


async def _page(
    session: AsyncSession, query: SelectOfScalar[T], limit: int, offset: int
) -> tuple[list[T], int]:
    total = await session.exec(select(func.count()).select_from(query.subquery()))
    rows = await session.exec(query.limit(limit).offset(offset))
    return list(rows.all()), int(total.one())


class OrganisationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, organisation: Organisation) -> None:
        self.session.add(organisation)

    async def get(self, organisation_id: uuid.UUID) -> Organisation | None:
        return await self.session.get(Organisation, organisation_id)

    async def by_name(self, name: str) -> Organisation | None:
        result = await self.session.exec(
            select(Organisation).where(func.lower(Organisation.name) == name.lower())
        )
        return result.first()

    async def by_kvk(self, kvk_number: str) -> Organisation | None:
        result = await self.session.exec(
            select(Organisation).where(Organisation.kvk_number == kvk_number)
        )
        return result.first()

    async def existing_ids(self, ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        wanted = set(ids)
        if not wanted:
            return set()
        result = await self.session.exec(
            select(Organisation.id).where(col(Organisation.id).in_(wanted))
        )
        return set(result.all())

    async def page(
        self, limit: int, offset: int, kind: str | None = None, name_contains: str | None = None
    ) -> tuple[list[Organisation], int]:
        query = select(Organisation).order_by(col(Organisation.name))
        if kind:
            query = query.where(Organisation.kind == kind)
        if name_contains:
            query = query.where(func.lower(Organisation.name).contains(name_contains.lower()))
        return await _page(self.session, query, limit, offset)


class ProgrammeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, item: Programme | GoalNode) -> None:
        self.session.add(item)

    async def get(self, programme_id: uuid.UUID) -> Programme | None:
        return await self.session.get(Programme, programme_id)

    async def by_name(self, name: str) -> Programme | None:
        result = await self.session.exec(
            select(Programme).where(func.lower(Programme.name) == name.lower())
        )
        return result.first()

    async def all(self) -> list[Programme]:
        result = await self.session.exec(
            select(Programme).order_by(col(Programme.period_start), col(Programme.name))
        )
        return list(result.all())

    async def goals(self, programme_id: uuid.UUID) -> list[GoalNode]:
        result = await self.session.exec(
            select(GoalNode)
            .where(GoalNode.programme_id == programme_id)
            .order_by(col(GoalNode.position), col(GoalNode.code))
        )
        return list(result.all())

    async def get_goal(self, goal_id: uuid.UUID) -> GoalNode | None:
        return await self.session.get(GoalNode, goal_id)

    async def goal_by_code(self, programme_id: uuid.UUID, code: str) -> GoalNode | None:
        result = await self.session.exec(
            select(GoalNode).where(GoalNode.programme_id == programme_id, GoalNode.code == code)
        )
        return result.first()

    async def next_position(self, programme_id: uuid.UUID, parent_id: uuid.UUID | None) -> int:
        result = await self.session.exec(
            select(func.coalesce(func.max(GoalNode.position), -1)).where(
                GoalNode.programme_id == programme_id, GoalNode.parent_id == parent_id
            )
        )
        return int(result.one()) + 1


class ProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, project: Project) -> None:
        self.session.add(project)

    async def get(self, project_id: uuid.UUID) -> Project | None:
        return await self.session.get(Project, project_id)

    async def by_code(self, code: str) -> Project | None:
        result = await self.session.exec(
            select(Project).where(func.lower(Project.code) == code.lower())
        )
        return result.first()

    async def page(
        self, where: ProjectFilter, limit: int, offset: int
    ) -> tuple[list[Project], int]:
        query = select(Project).order_by(col(Project.code))
        if where.status:
            query = query.where(Project.status == where.status)
        if where.programme_id:
            query = query.where(Project.programme_id == where.programme_id)
        if where.code:
            query = query.where(func.lower(Project.code) == where.code.lower())
        if where.goal_id:
            query = query.where(
                col(Project.id).in_(
                    select(ProjectGoal.project_id).where(ProjectGoal.goal_id == where.goal_id)
                )
            )
        if where.organisation_id:
            query = query.where(
                col(Project.id).in_(
                    select(ProjectMember.project_id).where(
                        ProjectMember.organisation_id == where.organisation_id
                    )
                )
            )
        return await _page(self.session, query, limit, offset)

    async def members(
        self, project_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, list[ProjectMember]]:
        result = await self.session.exec(
            select(ProjectMember).where(col(ProjectMember.project_id).in_(list(project_ids)))
        )
        grouped: dict[uuid.UUID, list[ProjectMember]] = defaultdict(list)
        for member in result.all():
            grouped[member.project_id].append(member)
        return grouped

    async def goal_ids(self, project_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        result = await self.session.exec(
            select(ProjectGoal).where(col(ProjectGoal.project_id).in_(list(project_ids)))
        )
        grouped: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for link in result.all():
            grouped[link.project_id].append(link.goal_id)
        return grouped

    async def replace_members(self, project_id: uuid.UUID, members: dict[uuid.UUID, str]) -> None:
        await delete_rows(self.session, ProjectMember, col(ProjectMember.project_id) == project_id)
        self.session.add_all(
            ProjectMember(project_id=project_id, organisation_id=org, role=role)
            for org, role in members.items()
        )

    async def replace_goals(self, project_id: uuid.UUID, goal_ids: Iterable[uuid.UUID]) -> None:
        await delete_rows(self.session, ProjectGoal, col(ProjectGoal.project_id) == project_id)
        self.session.add_all(
            ProjectGoal(project_id=project_id, goal_id=g) for g in dict.fromkeys(goal_ids)
        )

    def record_status_change(self, change: ProjectStatusChange) -> None:
        self.session.add(change)

    async def status_history(self, project_id: uuid.UUID) -> list[ProjectStatusChange]:
        result = await self.session.exec(
            select(ProjectStatusChange)
            .where(ProjectStatusChange.project_id == project_id)
            .order_by(col(ProjectStatusChange.id))
        )
        return list(result.all())
