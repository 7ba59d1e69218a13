"""Report versions, their comments and the intake's reads of them."""

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import (
    ProjectReplica,
    Report,
    ReportComment,
)
from services.kpi.repository.rows import (
    _CELL,
    ReportRow,
    _rows_in,
)
from shared.db import ProcessedEvent, table_of
from shared.pending import PendingWrites


class ReportRepository:
    """Report versions. A new version from intake is queued (a batch writes a thousand) and
    goes in at commit with the unit of work's other pending writes (shared.pending); a
    review's version and comments are single objects, through the session."""

    def __init__(self, session: AsyncSession, pending: PendingWrites) -> None:
        self.session = session
        self._new = pending.rows(table_of(Report))

    def add_new(self, row: dict[str, Any]) -> None:
        """Queue a new version for the bulk insert at commit (recorded in the audit trail)."""
        self._new.rows.append(row)

    def add(self, report: Report) -> None:
        self.session.add(report)

    async def any_for_indicator(self, code: str) -> bool:
        table = table_of(Report)
        statement = sa_select(table.c.id).where(table.c.indicator_code == code).limit(1)
        return (await (await self.session.connection()).execute(statement)).first() is not None

    async def reported_periods(
        self, project_ids: Iterable[uuid.UUID]
    ) -> set[tuple[uuid.UUID, str, str]]:
        """(project, indicator, period) with a version that counts (not returned)."""
        table = table_of(Report)
        statement = (
            sa_select(table.c.project_id, table.c.indicator_code, table.c.period)
            .where(table.c.project_id.in_(set(project_ids)), table.c.state != "returned")
            .distinct()
        )
        result = await (await self.session.connection()).execute(statement)
        return {(p, code, period) for p, code, period in result}

    def add_comment(self, comment: ReportComment) -> None:
        self.session.add(comment)

    async def comments(self, report_id: uuid.UUID) -> list[ReportComment]:
        """A report's thread, oldest first."""
        result = await self.session.exec(
            select(ReportComment)
            .where(ReportComment.report_id == report_id)
            .order_by(col(ReportComment.created_at), col(ReportComment.id))
        )
        return list(result.all())

    async def get(self, report_id: uuid.UUID) -> Report | None:
        return await self.session.get(Report, report_id)

    async def cell_states(
        self, cells: Iterable[tuple[uuid.UUID, str, str, str]]
    ) -> tuple[
        dict[tuple[uuid.UUID, str, str, str], ReportRow], set[tuple[uuid.UUID, str, str, str]]
    ]:
        """The newest version of each (project, indicator, period, dimension) cell, and
        which cells have ever had a version approved."""
        latest: dict[tuple[uuid.UUID, str, str, str], ReportRow] = {}
        approved: set[tuple[uuid.UUID, str, str, str]] = set()
        for r in await _rows_in(self.session, Report, ReportRow, _CELL, cells):
            key = (r.project_id, r.indicator_code, r.period, r.dimension_key)
            if key not in latest or r.version > latest[key].version:
                latest[key] = r
            if r.state == "approved":
                approved.add(key)
        return latest, approved

    async def history(
        self, project_id: uuid.UUID, indicator_code: str | None = None
    ) -> list[Report]:
        query = select(Report).where(Report.project_id == project_id)
        if indicator_code:
            query = query.where(Report.indicator_code == indicator_code)
        result = await self.session.exec(
            query.order_by(
                col(Report.indicator_code),
                col(Report.period),
                col(Report.dimension_key),
                col(Report.version),
            )
        )
        return list(result.all())

    async def last_event_processed_at(self) -> datetime | None:
        result = await self.session.exec(select(func.max(ProcessedEvent.processed_at)))
        found = result.one()
        return found if found is None or found.tzinfo else found.replace(tzinfo=UTC)

    async def queue(
        self, state: str, programme_id: uuid.UUID | None, limit: int, offset: int
    ) -> tuple[list[Report], int]:
        query = select(Report).where(Report.state == state)
        if programme_id:
            query = query.where(
                col(Report.project_id).in_(
                    select(ProjectReplica.id).where(ProjectReplica.programme_id == programme_id)
                )
            )
        total = (await self.session.exec(select(func.count()).select_from(query.subquery()))).one()
        rows = await self.session.exec(
            query.order_by(col(Report.submitted_at)).limit(limit).offset(offset)
        )
        return list(rows.all()), int(total)
