"""versioned indicator definitions

Each change of an indicator's name, unit, kind, EU code or methodology is a version in force
from a quarter's first day: an edit, a conversion to a new unit (with its factor) or a break
in series (domain.definitions, ADR 32). The catalogue row keeps the latest and its number.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indicator_definitions",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=False),
        sa.Column("name_nl", sa.String(length=300), nullable=True),
        sa.Column("unit", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("eu_code", sa.String(length=20), nullable=True),
        sa.Column("methodology", sa.String(length=4000), nullable=True),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("conversion_factor", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("defined_by", sa.String(length=200), nullable=False),
        sa.Column("defined_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code", "version"),
    )
    with op.batch_alter_table("indicators") as batch:
        batch.add_column(
            sa.Column("definition_version", sa.Integer(), nullable=False, server_default="1")
        )
        batch.add_column(sa.Column("methodology", sa.String(length=4000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("indicators") as batch:
        batch.drop_column("methodology")
        batch.drop_column("definition_version")
    op.drop_table("indicator_definitions")
