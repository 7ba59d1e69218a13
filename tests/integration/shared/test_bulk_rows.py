"""The bulk helpers (shared.db.prepare_rows / prepare_upsert / run_writes / fetch_rows)
store and read exactly what SQLAlchemy's own paths do, for every column type the services use, on
SQLite and PostgreSQL: they only move SQLAlchemy's own processors to a column at a time."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from services.kpi.models import ProjectKpi, ProjectTotal, Report
from shared.db import (
    create_engine,
    fetch_rows,
    prepare_rows,
    prepare_upsert,
    run_writes,
    table_of,
)

REPORTS = table_of(Report)
KPIS = table_of(ProjectKpi)
TOTALS = table_of(ProjectTotal)

amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False)
# what a database can store (the HTTP edge refuses NUL and lone surrogates: see shared.http)
texts = st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=30)
zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5))])
instants = st.builds(
    lambda seconds, zone: (
        datetime(2020, 1, 1, tzinfo=UTC).astimezone(zone) + timedelta(seconds=seconds)
    ),
    st.floats(min_value=0, max_value=2e8, allow_nan=False).map(lambda s: round(s, 6)),
    zones,
)
report_rows = st.lists(
    st.fixed_dictionaries(
        {
            "project_id": st.sampled_from([uuid.UUID(int=1), uuid.UUID(int=2), uuid.uuid4()]),
            "indicator_code": st.sampled_from(["A", "B"]),
            "period": st.sampled_from(["2020-Q1", "2021"]),
            "dimension_key": st.sampled_from(["", "gender=f"]),
            "value": st.none() | amounts,
            "numerator": st.none() | amounts,
            "denominator": st.none() | amounts,
            "comment": st.none() | texts,
            "source_ref": st.none() | texts,
            "state": st.sampled_from(["submitted", "approved"]),
            "organisation_id": st.none() | st.just(uuid.UUID(int=7)),
            "submitted_by": texts,
            "submitted_at": instants,
            "revision_reason": st.none() | texts,
            "review_reason": st.none(),
            "reviewed_by": st.none() | texts,
            "reviewed_at": st.none() | instants,
            "flags": st.lists(st.sampled_from(["above_target", "jump"]), unique=True),
            "identifiers": st.lists(st.sampled_from(["a" * 64, "b" * 64]), unique=True),
        }
    ),
    min_size=1,
    max_size=25,
)


def _numbered(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unique ids and versions, as the table demands."""
    return [{**r, "id": uuid.uuid4(), "version": n} for n, r in enumerate(rows, start=1)]


async def _written_and_read(url: str, rows: list[dict[str, Any]]) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as c:
            await run_writes(c, [prepare_rows(c.dialect, REPORTS, rows)])
            ours = await c.execute(select(REPORTS).where(REPORTS.c.id.in_([r["id"] for r in rows])))
            stored = {r.id: r._asdict() for r in ours}
            fetched = await fetch_rows(
                c, select(REPORTS).where(REPORTS.c.id.in_(list(stored))), lambda *v: v
            )
            await c.execute(delete(REPORTS).where(REPORTS.c.id.in_(list(stored))))
    finally:
        await engine.dispose()
    for row in rows:
        assert stored[row["id"]] == row  # aware datetimes compare as instants
    columns = list(REPORTS.c.keys())
    assert {v[0]: dict(zip(columns, v, strict=True)) for v in fetched} == stored


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=report_rows)
def test_bulk_written_rows_read_back_as_written_and_as_sqlalchemy_reads_them(
    kpi_db: str, rows: list[dict[str, Any]]
) -> None:
    asyncio.run(_written_and_read(kpi_db, _numbered(rows)))


async def _json_and_dates(url: str, targets: dict[str, str], dimensions: list[str]) -> None:
    engine = create_engine(url)
    project = uuid.uuid4()
    base = {
        "project_id": project,
        "frequency": "quarterly",
        "baseline_value": Decimal("1.5"),
        "baseline_year": 2019,
        "target_value": None,
        "target_date": date(2023, 12, 31),
        "updated_by": "test",
        "updated_at": datetime.now(UTC),
    }
    rows = [
        {**base, "indicator_code": code, "dimensions": dimensions, "period_targets": targets}
        for code in ("ENTREPRENEURS_REACHED", "MEETINGS_ORGANISED")
    ]
    try:
        async with engine.begin() as c:
            await run_writes(c, [prepare_rows(c.dialect, KPIS, rows)])
            fetched = await fetch_rows(
                c, select(KPIS).where(KPIS.c.project_id == project), lambda *v: v
            )
            await c.execute(delete(KPIS).where(KPIS.c.project_id == project))
    finally:
        await engine.dispose()
    names = list(KPIS.c.keys())
    got = sorted(
        (dict(zip(names, v, strict=True)) for v in fetched), key=lambda r: r["indicator_code"]
    )
    assert got == rows
    got[0]["dimensions"].append("changed")  # a JSON value read is never shared between rows
    assert got[1]["dimensions"] == dimensions


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    targets=st.dictionaries(st.sampled_from(["2020-Q1", "2021"]), st.sampled_from(["5", "10.5"])),
    dimensions=st.lists(st.sampled_from(["gender", "age"]), max_size=2, unique=True),
)
def test_json_and_date_columns_round_trip(
    kpi_db: str, targets: dict[str, str], dimensions: list[str]
) -> None:
    asyncio.run(_json_and_dates(kpi_db, targets, dimensions))


async def _added_up(url: str, deltas: list[Decimal]) -> Decimal:
    engine = create_engine(url)
    project = uuid.uuid4()
    try:
        async with engine.connect() as c:
            from sqlmodel.ext.asyncio.session import AsyncSession

            async with AsyncSession(bind=c) as session:
                for delta in deltas:  # the same total over and over: every delta counts
                    row = {
                        "project_id": project,
                        "indicator_code": "A",
                        "view": "current",
                        "period_key": "all",
                        "value": delta,
                        "numerator": Decimal(0),
                        "denominator": Decimal(0),
                    }
                    names, values = tuple(row), tuple(row.values())
                    write = prepare_upsert(
                        c.dialect,
                        TOTALS,
                        names,
                        [values, values],
                        ["project_id", "indicator_code", "view", "period_key"],
                        add=["value", "numerator", "denominator"],
                    )
                    await run_writes(await session.connection(), [write])
                total = (
                    await session.exec(select(TOTALS.c.value).where(TOTALS.c.project_id == project))  # type: ignore[call-overload]
                ).one()[0]
                await session.rollback()
                return Decimal(total)
    finally:
        await engine.dispose()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(deltas=st.lists(amounts, min_size=1, max_size=6))
def test_upsert_add_adds_every_row_even_the_same_key_twice_in_one_statement(
    kpi_db: str, deltas: list[Decimal]
) -> None:
    assert asyncio.run(_added_up(kpi_db, deltas)) == 2 * sum(deltas, Decimal(0))
