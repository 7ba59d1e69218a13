"""the projects' declared targets, for the EU report's planned values

The EU report gives per EU code the planned value beside the achieved one: the end targets
the projects declared for the indicators mapped to it (kpi.target.set.v1, the latest per
project and indicator), kept in a consumer group of their own, funding.targets, which reads
kpi.events.v1 from its start.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replica_targets",
        sa.Column("project_id", sa.Uuid(), primary_key=True),
        sa.Column("indicator_code", sa.String(40), primary_key=True),
        sa.Column("indicator_kind", sa.String(20), nullable=False),
        sa.Column("target_value", sa.BigInteger(), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("replica_targets")
