"""Data access for the KPI service, one repository per concern; no rules here."""

from services.kpi.repository.access import AccessRepository
from services.kpi.repository.catalogue import CatalogueRepository, ProjectKpiRepository
from services.kpi.repository.chain import ChainRepository
from services.kpi.repository.projection import ProjectionRepository
from services.kpi.repository.reference import ReferenceRepository
from services.kpi.repository.replica import ReplicaRepository
from services.kpi.repository.reports import ReportRepository
from services.kpi.repository.rows import (
    IndicatorRow,
    Key,
    KpiRule,
    NodeTotalRow,
    ProgressRow,
    ProjectFacts,
    ReportRow,
    TargetRow,
    TotalRow,
    VersionRow,
)
from services.kpi.repository.totals import TotalsRepository

__all__ = [
    "AccessRepository",
    "CatalogueRepository",
    "ChainRepository",
    "IndicatorRow",
    "Key",
    "KpiRule",
    "NodeTotalRow",
    "ProgressRow",
    "ProjectFacts",
    "ProjectKpiRepository",
    "ProjectionRepository",
    "ReferenceRepository",
    "ReplicaRepository",
    "ReportRepository",
    "ReportRow",
    "TargetRow",
    "TotalRow",
    "TotalsRepository",
    "VersionRow",
]
