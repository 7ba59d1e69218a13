"""report versions keep the keyed hashes of the enterprises they count

The EU report counts an enterprise supported by several projects once (ADR 29): the
replicated report versions keep the keyed hashes (HMAC-SHA256, never the KvK numbers) that
kpi.report.submitted/revised.v1 already carry. Versions replicated before have none and
count as reported.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("replica_report_versions") as batch:
        batch.add_column(sa.Column("identifiers", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("replica_report_versions") as batch:
        batch.drop_column("identifiers")
