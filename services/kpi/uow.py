"""The KPI service's unit of work: its repositories, outbox and inbox in one transaction."""

from services.kpi.repository import (
    AccessRepository,
    CatalogueRepository,
    ChainRepository,
    ProjectionRepository,
    ProjectKpiRepository,
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

    def _start(self) -> None:
        self.catalogue = CatalogueRepository(self.session)
        self.kpis = ProjectKpiRepository(self.session)
        self.reports = ReportRepository(self.session)
        self.access = AccessRepository(self.session)
        self.replica = ReplicaRepository(self.session)
        self.projection = ProjectionRepository(self.session)
        self.totals = TotalsRepository(self.session)
        self.chain = ChainRepository(self.session)

    async def _write_pending(self) -> None:
        await self.reports.write_pending()
        await super()._write_pending()
