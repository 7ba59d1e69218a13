"""Alembic, driven from code: each service keeps its migrations in `<service>/migrations`."""

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(migrations_dir: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(migrations_dir: Path, database_url: str, revision: str = "head") -> None:
    """Bring a database to `revision`. Blocking: call it outside a running event loop."""
    command.upgrade(alembic_config(migrations_dir, database_url), revision)


def run_env(target_metadata: list[MetaData]) -> None:
    """The body of every service's migrations/env.py: online, async, batch mode for SQLite."""
    from alembic import context

    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def main() -> None:
        engine = create_async_engine(url, poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(run)
        await engine.dispose()

    asyncio.run(main())


def create_audit_log() -> None:
    """The audit trail's table and the triggers that refuse to change or delete its rows;
    every service's migrations call this once (shared.audit explains the table)."""
    from alembic import op
    from sqlalchemy import BigInteger, Column, Integer, String, Text

    from shared.audit import APPEND_ONLY_TRIGGERS

    op.create_table(
        "audit_log",
        Column(
            "seq",
            BigInteger().with_variant(Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        Column("at", String(40), nullable=False),
        Column("actor", String(200), nullable=False),
        Column("action", String(300), nullable=False),
        Column("changes", Text(), nullable=False),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
    )
    for statement in APPEND_ONLY_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def drop_audit_log() -> None:
    from alembic import op

    op.drop_table("audit_log")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS koers_audit_append_only()")


def create_table_versions(tables: list[str]) -> None:
    """A version number per table, raised by a trigger on every insert, update and delete,
    so a process may keep the table in memory and ask only for its number (see
    `shared.db.table_versions`). Triggers, not application code: no write path can forget."""
    from alembic import op
    from sqlalchemy import BigInteger, Column, String, column, table

    op.create_table(
        "table_versions",
        Column("table_name", String(64), primary_key=True),
        Column("version", BigInteger(), nullable=False),
    )
    op.bulk_insert(
        table("table_versions", column("table_name"), column("version")),
        [{"table_name": name, "version": 0} for name in tables],
    )
    for statement in _version_triggers(op.get_bind().dialect.name, tables):
        op.execute(statement)


def drop_table_versions(tables: list[str]) -> None:
    from alembic import op

    dialect = op.get_bind().dialect.name
    for name in tables:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name}_version ON {name}")
        else:
            for action in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {name}_{action}_version")
    op.drop_table("table_versions")


def _version_triggers(dialect: str, tables: list[str]) -> list[str]:
    bump = "UPDATE table_versions SET version = version + 1 WHERE table_name = "
    if dialect == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION koers_bump_table_version() RETURNS trigger AS $$
            BEGIN {bump}TG_TABLE_NAME; RETURN NULL; END; $$ LANGUAGE plpgsql""",
            *(
                f"""CREATE TRIGGER {name}_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
                ON {name} FOR EACH STATEMENT EXECUTE FUNCTION koers_bump_table_version()"""
                for name in tables
            ),
        ]
    return [  # SQLite: row triggers only
        f"""CREATE TRIGGER {name}_{action}_version AFTER {action.upper()} ON {name}
        BEGIN {bump}'{name}'; END"""
        for name in tables
        for action in ("insert", "update", "delete")
    ]
