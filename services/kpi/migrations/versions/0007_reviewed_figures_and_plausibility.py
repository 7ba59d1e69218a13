"""reviewed figures and plausibility flags

Reports get a comment thread (report_comments). Each report version keeps the plausibility flags it was accepted with (domain.plausibility);
each indicator may set its own thresholds; each progress row keeps the approved value beside
the current one and what still awaits review (reports, their total, how many are flagged).

The projection is derived data: as in 0006 it is emptied, with the aggregation consumers'
inbox rows, and applied again from the topics (on Apache Kafka: the aggregation group moved
back to the topic's start, docs/deploy.md, "Upgrading"). Versions stored before carry no
flags.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DERIVED = [
    "projection_cell_versions",
    "projection_targets",
    "projection_project_totals",
    "projection_node_totals",
    "projection_progress",
]
PROGRESS = [
    sa.Column("approved", sa.BigInteger(), nullable=True),
    sa.Column("pending_reports", sa.Integer(), nullable=False, server_default=sa.text("0")),
    sa.Column("pending_value", sa.BigInteger(), nullable=True),
    sa.Column("flagged_reports", sa.Integer(), nullable=False, server_default=sa.text("0")),
]
THRESHOLDS = ["plausible_target_percent", "plausible_jump_factor"]


def _flags() -> sa.Column[list[str]]:
    return sa.Column("flags", sa.JSON(), nullable=False, server_default="[]")


def _empty_the_projection() -> None:
    for table in DERIVED:
        op.execute(sa.text(f"DELETE FROM {table}"))
    op.execute(sa.text("DELETE FROM processed_events WHERE consumer LIKE '%kpi.aggregates'"))


def upgrade() -> None:
    op.create_table(
        "report_comments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_comments_report_id", "report_comments", ["report_id"])
    with op.batch_alter_table("reports") as batch:
        batch.add_column(_flags())
    with op.batch_alter_table("projection_cell_versions") as batch:
        batch.add_column(_flags())
    with op.batch_alter_table("indicators") as batch:
        for name in THRESHOLDS:
            batch.add_column(sa.Column(name, sa.BigInteger(), nullable=True))
    with op.batch_alter_table("projection_progress") as batch:
        for column in PROGRESS:
            batch.add_column(column)
    _empty_the_projection()


def downgrade() -> None:
    op.drop_index("ix_report_comments_report_id", table_name="report_comments")
    op.drop_table("report_comments")
    with op.batch_alter_table("projection_progress") as batch:
        for column in PROGRESS:
            batch.drop_column(column.name)
    with op.batch_alter_table("indicators") as batch:
        for name in THRESHOLDS:
            batch.drop_column(name)
    for table in ("projection_cell_versions", "reports"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("flags")
    _empty_the_projection()
