"""Reads of the projection's totals (the read API never recomputes them)."""

import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import (
    CellVersion,
    NodeTotal,
    ProgressState,
    ProjectTotal,
)
from services.kpi.repository.rows import (
    NodeTotalRow,
    _plain_select,
)
from shared.db import (
    fetch_rows,
    table_of,
)
from shared.kinds import TEXT_KINDS


class TotalsRepository:
    """Reads of the projection's totals (the read API never recomputes them)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def node_totals(
        self, node_id: uuid.UUID, view: str, indicator_code: str | None
    ) -> list[NodeTotalRow]:
        table = table_of(NodeTotal)
        query = _plain_select(NodeTotal, NodeTotalRow).where(
            table.c.node_id == node_id, table.c.view == view
        )
        if indicator_code:
            query = query.where(table.c.indicator_code == indicator_code)
        return await fetch_rows(await self.session.connection(), query, NodeTotalRow)

    async def node_all_totals(
        self, node_id: uuid.UUID, view: str, codes: Sequence[str]
    ) -> list[NodeTotal]:
        result = await self.session.exec(
            select(NodeTotal).where(
                NodeTotal.node_id == node_id,
                NodeTotal.view == view,
                NodeTotal.period_key == "all",
                col(NodeTotal.indicator_code).in_(codes),
            )
        )
        return list(result.all())

    async def project_totals(self, project_id: uuid.UUID, view: str) -> list[ProjectTotal]:
        result = await self.session.exec(
            select(ProjectTotal).where(
                ProjectTotal.project_id == project_id, ProjectTotal.view == view
            )
        )
        return list(result.all())

    async def progress(self, project_id: uuid.UUID) -> dict[str, ProgressState]:
        result = await self.session.exec(
            select(ProgressState).where(ProgressState.project_id == project_id)
        )
        return {p.indicator_code: p for p in result.all()}

    async def texts(
        self, project_id: uuid.UUID
    ) -> dict[str, list[tuple[str, str, int, str | None, str]]]:
        """Per indicator: (period, dimension, version, comment, state) of every version."""
        result = await self.session.exec(
            select(CellVersion).where(
                CellVersion.project_id == project_id, col(CellVersion.kind).in_(TEXT_KINDS)
            )
        )
        grouped: dict[str, list[tuple[str, str, int, str | None, str]]] = {}
        for v in result.all():
            grouped.setdefault(v.indicator_code, []).append(
                (v.period, v.dimension_key, v.version, v.comment, v.state)
            )
        return grouped
