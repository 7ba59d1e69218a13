"""reports: drop the index on project_id alone

The unique constraint on (project_id, indicator_code, period, dimension_key, version)
already serves every lookup by project; the second index only cost each insert a B-tree
update in another place (a batch of a thousand reports touched hundreds more pages).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_index("ix_reports_project_id")


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch_op:
        batch_op.create_index("ix_reports_project_id", ["project_id"], unique=False)
