"""stock series as changes; each project total row carries its count

A stock's value for a range is, per project, its latest value at or before the range's end
(ADR 8): its series now holds the change at each reported period, and each project total
row what it adds to its nodes' count of reporting projects (`projects`).

The projection is derived data: this migration empties it, with the aggregation consumers'
inbox rows, so that it is applied again from the topics — at once on the embedded default
(it republishes every outbox on start); on Apache Kafka move the aggregation group back to
the topic's start (docs/deploy.md, "Upgrading").

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DERIVED = [
    "projection_cell_versions",
    "projection_targets",
    "projection_project_totals",
    "projection_node_totals",
    "projection_progress",
]


def _empty_the_projection() -> None:
    for table in DERIVED:
        op.execute(sa.text(f"DELETE FROM {table}"))
    op.execute(sa.text("DELETE FROM processed_events WHERE consumer LIKE '%kpi.aggregates'"))


def upgrade() -> None:
    with op.batch_alter_table("projection_project_totals") as batch:
        batch.add_column(
            sa.Column("projects", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
    _empty_the_projection()


def downgrade() -> None:
    with op.batch_alter_table("projection_project_totals") as batch:
        batch.drop_column("projects")
    _empty_the_projection()
