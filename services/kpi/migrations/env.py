"""Alembic environment of the KPI service: its own tables and the platform's (outbox, inbox)."""

from services.kpi.models import KpiBase
from shared.db import PlatformBase
from shared.migrations import run_env

run_env([PlatformBase.metadata, KpiBase.metadata])
