"""sealed transmissions, and the report versions and restatements behind them

EU reports transmitted at a cut-off are kept frozen (their JSON, CSV and XLSX as sent), in
a table that refuses UPDATE and DELETE as the audit trail does; the report versions and the
restatements the KPI service announces are replicated, so a transmission names the versions
it counted and a diff those that came since (ADR 30). The new consumer group
(funding.report-versions) reads kpi.events.v1 from its start.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FROZEN = ("transmissions", "transmission_restatements")

TRIGGERS = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION koers_frozen() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql""",
        *(
            f"""CREATE TRIGGER {t}_frozen BEFORE UPDATE OR DELETE ON {t}
            FOR EACH ROW EXECUTE FUNCTION koers_frozen()"""
            for t in FROZEN
        ),
    ],
    "sqlite": [
        statement
        for t in FROZEN
        for statement in (
            f"""CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t}
            BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END""",
            f"""CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t}
            BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END""",
        )
    ],
}


def upgrade() -> None:
    op.create_table(
        "transmissions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("programme_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("fund", sa.String(20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("correction", sa.Integer(), nullable=False),
        sa.Column("corrects", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("sealed_by", sa.String(200), nullable=False),
        sa.Column("sealed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("csv", sa.Text(), nullable=False),
        sa.Column("xlsx", sa.Text(), nullable=False),
        sa.Column("json_sha256", sa.String(64), nullable=False),
        sa.Column("csv_sha256", sa.String(64), nullable=False),
        sa.Column("xlsx_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("programme_id", "fund", "number", name="uq_transmission_number"),
        sa.UniqueConstraint(
            "programme_id", "fund", "as_of", "correction", name="uq_transmission_cutoff"
        ),
    )
    op.create_table(
        "transmission_restatements",
        sa.Column("transmission_id", sa.Uuid(), primary_key=True),
        sa.Column("report_id", sa.Uuid(), primary_key=True, index=True),
    )
    op.create_table(
        "replica_report_versions",
        sa.Column("report_id", sa.Uuid(), primary_key=True),
        sa.Column("project_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("indicator_code", sa.String(40), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("dimension_key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("reviewed_by", sa.String(200), nullable=True),
        sa.Column("review_reason", sa.String(2000), nullable=True),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("reviewed_recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.create_table(
        "replica_restatements",
        sa.Column("report_id", sa.Uuid(), primary_key=True),
        sa.Column("project_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("indicator_code", sa.String(40), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("dimension_key", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("previous_value", sa.BigInteger(), nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.Column("restates", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    )
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    for table in ("replica_restatements", "replica_report_versions", *FROZEN):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS koers_frozen()")
