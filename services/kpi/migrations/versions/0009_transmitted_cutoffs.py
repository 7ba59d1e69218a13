"""transmitted cut-offs: the EU transmissions reports may restate

A replica of funding.transmission.sealed.v1: a report or revision for a period ending by a
transmitted cut-off, of a project and indicator the transmission counted, restates it
(a reason, a flag, an event for finance; ADR 30).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "replica_transmissions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("programme_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("fund", sa.String(20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(40), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("correction", sa.Integer(), nullable=False),
        sa.Column("projects", sa.JSON(), nullable=False),
        sa.Column("indicators", sa.JSON(), nullable=False),
        sa.Column("reason_required", sa.Boolean(), nullable=False),
        sa.Column("notify", sa.Boolean(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("replica_transmissions")
