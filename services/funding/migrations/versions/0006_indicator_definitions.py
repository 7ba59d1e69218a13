"""the indicator definitions the KPI service announces

A transmission names, for every indicator it reports, the definition version in force for
the periods it counted (number, effective date, name, unit, kind, EU code, methodology):
funding keeps them as kpi.indicator.defined.v1 announces them (ADR 30, 32), in its
existing funding.report-versions group.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 18:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replica_indicator_definitions",
        sa.Column("indicator_code", sa.String(40), primary_key=True),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("name_nl", sa.String(300), nullable=True),
        sa.Column("unit", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("eu_code", sa.String(20), nullable=True),
        sa.Column("methodology", sa.String(4000), nullable=True),
        sa.Column("change", sa.String(20), nullable=False),
        sa.Column("conversion_factor", sa.String(60), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("defined_by", sa.String(200), nullable=False),
        sa.Column("defined_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("counted_once", sa.String(20), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("replica_indicator_definitions")
