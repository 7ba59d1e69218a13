"""A KPI database with a small goal tree, for driving the projection directly."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.domain.series import Measure
from services.kpi.models import (
    GoalReplica,
    KpiBase,
    NodeTotal,
    ProgrammeReplica,
    ProjectGoalReplica,
    ProjectReplica,
)
from services.kpi.uow import KpiUnitOfWork
from shared.db import PlatformBase, create_engine, session_factory


@dataclass
class Tree:
    """Programme → lines A, B; A → goals G1, G2; B → G3. P1 on G1+G2, P2 on G2+G3, P3 on G3."""

    programme: uuid.UUID = field(default_factory=uuid.uuid4)
    nodes: dict[str, uuid.UUID] = field(
        default_factory=lambda: {n: uuid.uuid4() for n in ("A", "B", "G1", "G2", "G3")}
    )
    projects: dict[str, uuid.UUID] = field(
        default_factory=lambda: {p: uuid.uuid4() for p in ("P1", "P2", "P3")}
    )
    links: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"P1": ("G1", "G2"), "P2": ("G2", "G3"), "P3": ("G3",)}
    )
    parents: dict[str, str | None] = field(
        default_factory=lambda: {"A": None, "B": None, "G1": "A", "G2": "A", "G3": "B"}
    )

    def closure(self, project: str) -> set[uuid.UUID]:
        names: set[str] = set()
        for goal in self.links[project]:
            cursor: str | None = goal
            while cursor:
                names.add(cursor)
                cursor = self.parents[cursor]
        return {self.nodes[n] for n in names} | {self.programme}


async def create_kpi_database(url: str) -> async_sessionmaker[AsyncSession]:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(PlatformBase.metadata.create_all)
        await conn.run_sync(KpiBase.metadata.create_all)
    return session_factory(engine)


async def seed_tree(sessions: async_sessionmaker[AsyncSession], tree: Tree) -> None:
    async with sessions() as s:
        s.add(ProgrammeReplica(id=tree.programme, name="Koers", period_start=2020, period_end=2023))
        for name, node in tree.nodes.items():
            parent = tree.parents[name]
            s.add(
                GoalReplica(
                    id=node,
                    programme_id=tree.programme,
                    parent_id=tree.nodes[parent] if parent else None,
                    kind="goal" if name.startswith("G") else "programme_line",
                    code=name,
                    name=name,
                )
            )
        for name, project in tree.projects.items():
            s.add(
                ProjectReplica(
                    id=project,
                    programme_id=tree.programme,
                    code=name,
                    name=name,
                    lead_organisation_id=uuid.uuid4(),
                    start_date=date(2020, 1, 1),
                    end_date=date(2021, 12, 31),
                    status="running",
                    version=1,
                )
            )
            for goal in tree.links[name]:
                s.add(ProjectGoalReplica(project_id=project, goal_id=tree.nodes[goal]))
        await s.commit()


async def node_totals(
    sessions: async_sessionmaker[AsyncSession],
) -> dict[tuple[uuid.UUID, str, str, str], tuple[Measure, int]]:
    """Every non-empty node total: (node, indicator, view, period) -> (measure, projects)."""
    async with sessions() as s:
        rows = (await s.exec(select(NodeTotal))).all()
    return {
        (r.node_id, r.indicator_code, r.view, r.period_key): (
            Measure(r.value, r.numerator, r.denominator),
            r.projects,
        )
        for r in rows
        if r.projects or r.value or r.numerator or r.denominator
    }


@asynccontextmanager
async def kpi_uow(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[KpiUnitOfWork]:
    async with KpiUnitOfWork(sessions, source="kpi") as uow:
        yield uow
