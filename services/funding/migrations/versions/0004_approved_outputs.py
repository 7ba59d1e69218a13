"""approved outputs and what awaits review

The KPI service now announces each realised output's approved value beside the current
one, and what awaits review (reports, their sum, how many carry plausibility flags): EU
reports and cost per output count approved values only (ADR 8). Rows already replicated
get the new figures with the next announcement of their output; until then they count as
not yet approved (the KPI projection applied again announces every output: KPI migration
0007, docs/deploy.md, "Upgrading").

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("realised_outputs", "realised_history")


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("approved", sa.BigInteger(), nullable=True),
        sa.Column("pending_reports", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("pending_value", sa.BigInteger(), nullable=True),
        sa.Column("flagged_reports", sa.Integer(), nullable=False, server_default=sa.text("0")),
    ]


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for column in _columns():
                batch.add_column(column)


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for column in _columns():
                batch.drop_column(column.name)
