"""version numbers of the reference tables

Intake and the projection keep projects, memberships, the goal tree, KPI declarations, the
catalogue and period locks in memory per process (services.kpi.reference) and ask only for
these numbers; triggers raise a table's number on every insert, update and delete.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:00:00
"""

from collections.abc import Sequence

from shared.migrations import create_table_versions, drop_table_versions

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = [
    "replica_projects",
    "replica_project_members",
    "replica_goals",
    "replica_project_goals",
    "project_kpis",
    "indicators",
    "period_locks",
    "lock_exceptions",
]


def upgrade() -> None:
    create_table_versions(TABLES)


def downgrade() -> None:
    drop_table_versions(TABLES)
