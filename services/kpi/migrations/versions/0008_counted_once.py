"""enterprises and participants counted once

Reports keep the keyed hashes of the identifiers listed with a value (never the KvK numbers
themselves); indicators say whether they count enterprises or participants once across
projects; the projection keeps each identified version's hashes beside its cell versions.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("identifiers", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("indicators") as batch:
        batch.add_column(sa.Column("counted_once", sa.String(length=20), nullable=True))
    op.create_table(
        "projection_identifiers",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("indicator_code", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("dimension_key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint(
            "project_id", "indicator_code", "period", "dimension_key", "version"
        ),
    )
    op.create_index(
        "ix_projection_identifiers_indicator_code", "projection_identifiers", ["indicator_code"]
    )


def downgrade() -> None:
    op.drop_index("ix_projection_identifiers_indicator_code", table_name="projection_identifiers")
    op.drop_table("projection_identifiers")
    with op.batch_alter_table("indicators") as batch:
        batch.drop_column("counted_once")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("identifiers")
