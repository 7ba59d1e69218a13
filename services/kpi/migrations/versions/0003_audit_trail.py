"""audit trail: append-only, hash-chained (shared.audit)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 10:50:00
"""

from collections.abc import Sequence

from shared.migrations import create_audit_log, drop_audit_log

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_audit_log()


def downgrade() -> None:
    drop_audit_log()
