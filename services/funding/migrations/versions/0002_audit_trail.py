"""audit trail: append-only, hash-chained (shared.audit)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 10:50:00
"""

from collections.abc import Sequence

from shared.migrations import create_audit_log, drop_audit_log

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_log()


def downgrade() -> None:
    drop_audit_log()
