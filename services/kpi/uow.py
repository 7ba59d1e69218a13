"""The KPI service's unit of work: its repositories, outbox and inbox in one transaction."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.reference import Reference, ReferenceCache
from services.kpi.repository import (
    AccessRepository,
    CatalogueRepository,
    ChainRepository,
    ProjectionRepository,
    ProjectKpiRepository,
    ReferenceRepository,
    ReplicaRepository,
    ReportRepository,
    TotalsRepository,
)
from shared.uow import SqlUnitOfWork


class KpiUnitOfWork(SqlUnitOfWork):
    catalogue: CatalogueRepository
    kpis: ProjectKpiRepository
    reports: ReportRepository
    access: AccessRepository
    replica: ReplicaRepository
    projection: ProjectionRepository
    totals: TotalsRepository
    chain: ChainRepository
    references: ReferenceRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        source: str,
        on_commit: Callable[[], None] | None = None,
        reference: ReferenceCache | None = None,
        *,
        write: bool = True,
    ) -> None:
        super().__init__(sessions, source, on_commit, write=write)
        # One per process, shared by its units of work (the composition root passes it);
        # a unit of work on its own keeps its own, read on first use.
        self._reference = reference or ReferenceCache()

    async def reference(self) -> Reference:
        """The reference data as of this transaction's view of the version numbers."""
        return await self._reference.current(self.references)

    def _start(self) -> None:
        self.catalogue = CatalogueRepository(self.session)
        self.kpis = ProjectKpiRepository(self.session)
        self.reports = ReportRepository(self.session, self.pending)
        self.access = AccessRepository(self.session)
        self.replica = ReplicaRepository(self.session)
        self.projection = ProjectionRepository(self.session, self.pending)
        self.totals = TotalsRepository(self.session)
        self.chain = ChainRepository(self.session)
        self.references = ReferenceRepository(self.session)
