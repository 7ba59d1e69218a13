"""The indicator catalogue and the projects' KPI declarations."""

import uuid
from collections.abc import Iterable
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import (
    Indicator,
    IndicatorDefinition,
    ProjectKpi,
)
from shared.db import (
    table_of,
    upsert_replace,
)


class CatalogueRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str) -> Indicator | None:
        return await self.session.get(Indicator, code)

    async def many(self, codes: Iterable[str]) -> dict[str, Indicator]:
        result = await self.session.exec(
            select(Indicator).where(col(Indicator.code).in_(set(codes)))
        )
        return {i.code: i for i in result.all()}

    async def definitions(self, code: str) -> list[IndicatorDefinition]:
        """The indicator's definitions, oldest first (none until a change is recorded)."""
        result = await self.session.exec(
            select(IndicatorDefinition)
            .where(IndicatorDefinition.code == code)
            .order_by(col(IndicatorDefinition.version))
        )
        return list(result.all())

    async def redefined(self) -> set[str]:
        """Indicators with a definition recorded since the catalogue shipped them."""
        result = await self.session.exec(select(IndicatorDefinition.code).distinct())
        return set(result.all())

    def add(self, indicator: Indicator) -> None:
        """A new or changed indicator (one object, through the session: shared.pending)."""
        self.session.add(indicator)

    def add_definition(self, definition: IndicatorDefinition) -> None:
        self.session.add(definition)

    async def all(self) -> list[Indicator]:
        return list(
            (await self.session.exec(select(Indicator).order_by(col(Indicator.code)))).all()
        )

    async def by_eu_code(self) -> dict[str, list[str]]:
        result = await self.session.exec(
            select(Indicator.code, Indicator.eu_code).where(col(Indicator.eu_code).is_not(None))
        )
        grouped: dict[str, list[str]] = {}
        for code, eu_code in result.all():
            grouped.setdefault(str(eu_code), []).append(code)
        return grouped

    async def put(self, rows: list[dict[str, Any]]) -> None:
        await upsert_replace(self.session, table_of(Indicator), rows, ["code"])


class ProjectKpiRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, kpi: ProjectKpi) -> None:
        self.session.add(kpi)

    async def get(self, project_id: uuid.UUID, indicator_code: str) -> ProjectKpi | None:
        return await self.session.get(ProjectKpi, (project_id, indicator_code))

    async def of_project(self, project_id: uuid.UUID) -> list[ProjectKpi]:
        result = await self.session.exec(
            select(ProjectKpi)
            .where(ProjectKpi.project_id == project_id)
            .order_by(col(ProjectKpi.indicator_code))
        )
        return list(result.all())
