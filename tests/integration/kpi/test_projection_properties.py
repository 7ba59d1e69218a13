"""Property: whatever the order of reports, revisions, reviews and redeliveries, the
incremental totals equal a straightforward recomputation from the history — for every
indicator kind of the registry, one indicator each (its row: tests/indicator_kinds.py)."""

import asyncio
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.domain.kinds import Kind, kind_of
from services.kpi.domain.periods import Period
from services.kpi.domain.series import Measure, Series, sum_series
from services.kpi.models import ProgressState
from services.kpi.projection import Options, apply_kpi_events
from shared.contracts import kpi as events
from tests.indicator_kinds import REPORTS, measure_of
from tests.integration.kpi.projection_harness import (
    Tree,
    create_kpi_database,
    kpi_uow,
    node_totals,
    seed_tree,
)

KINDS = {name.upper(): name for name in REPORTS}  # indicator code -> its kind
PERIODS = ["2020-Q1", "2020-Q2", "2020-Q4", "2021-Q1", "2021-Q3"]

action = st.one_of(
    st.tuples(
        st.just("submit"),
        st.sampled_from(["P1", "P2", "P3"]),
        st.sampled_from(list(KINDS)),
        st.sampled_from(PERIODS),
        st.sampled_from(["", "gender=f"]),
        st.integers(0, 50),
        st.integers(1, 60),
    ),
    st.tuples(st.sampled_from(["approve", "return"]), st.integers(0, 1000)),
    st.tuples(st.just("redeliver"), st.integers(0, 1000)),
)


def _history(
    tree: Tree, actions: list[tuple[Any, ...]]
) -> tuple[list[events.KpiEvent], list[events.KpiEvent]]:
    """Turn actions into events; return (deliveries including repeats, distinct events in order)."""
    versions: dict[tuple[str, str, str, str], int] = defaultdict(int)
    submitted: list[events.ReportSubmitted] = []
    deliveries: list[events.KpiEvent] = []
    for a in actions:
        if a[0] == "submit":
            _, project, code, period, dim, value, denominator = a
            cell = (project, code, period, dim)
            versions[cell] += 1
            event = events.ReportSubmitted(
                project_id=tree.projects[project],
                indicator_code=code,
                report_id=uuid.uuid4(),
                indicator_kind=KINDS[code],
                period=period,
                dimension_key=dim,
                version=versions[cell],
                **REPORTS[KINDS[code]](value, denominator),
                source_ref=None,
                organisation_id=None,
                submitted_by="p",
                flags=["jump"] if value % 3 == 0 else [],
            )
            submitted.append(event)
            deliveries.append(event)
        elif a[0] in {"approve", "return"} and submitted:
            s = submitted[a[1] % len(submitted)]
            common = dict(
                project_id=s.project_id,
                indicator_code=s.indicator_code,
                report_id=s.report_id,
                indicator_kind=s.indicator_kind,
                period=s.period,
                dimension_key=s.dimension_key,
                version=s.version,
                reviewed_by="pm",
            )
            review: events.KpiEvent = (
                events.ReportApproved(**common)
                if a[0] == "approve"
                else events.ReportReturned(**common, reason="no")
            )
            deliveries.append(review)
        elif a[0] == "redeliver" and deliveries:
            deliveries.append(deliveries[a[1] % len(deliveries)])
    return deliveries, list({id(e): e for e in deliveries}.values())


def _without_empty(
    totals: dict[tuple[uuid.UUID, str, str, str], tuple[Measure, int]],
) -> dict[tuple[uuid.UUID, str, str, str], tuple[Measure, int]]:
    """A node row of nothing (no measure, no projects) reads as no row: a stock that stays
    the same adds a change of 0 at a period, which the node totals need not hold."""
    return {k: v for k, v in totals.items() if v[1] or v[0] != Measure()}


Cells = dict[tuple[uuid.UUID, str, str, str], dict[int, list[Any]]]  # version: [event, state]
PerKey = dict[tuple[uuid.UUID, str], dict[str, dict[Period, Measure]]]  # dimension: cells


def _cells(history: list[events.KpiEvent]) -> Cells:
    """Each cell's versions, as submitted, with their review state."""
    cells: Cells = defaultdict(dict)
    for e in history:
        key = (e.project_id, e.indicator_code, e.period, e.dimension_key)  # type: ignore[attr-defined]
        if isinstance(e, events.ReportSubmitted):
            cells[key][e.version] = [e, "submitted"]
        elif e.version in cells[key]:  # type: ignore[attr-defined]
            approved = isinstance(e, events.ReportApproved)
            cells[key][e.version][1] = "approved" if approved else "returned"  # type: ignore[attr-defined]
    return cells


def _chosen(versions: dict[int, list[Any]], view: str) -> list[Any] | None:
    """The version that counts in the view: the latest not returned, or the latest approved."""
    ok = [
        v
        for v, (_, state) in versions.items()
        if (state != "returned" if view == "current" else state == "approved")
    ]
    return versions[max(ok)] if ok else None


def _per_key(cells: Cells, view: str) -> PerKey:
    per_key: PerKey = defaultdict(lambda: defaultdict(dict))
    for (project, code, period, dim), versions in cells.items():
        chosen = _chosen(versions, view)
        if chosen:
            per_key[(project, code)][dim][Period.parse(period)] = measure_of(chosen[0].model_dump())
    return per_key


def _kind(code: str) -> Kind:
    return kind_of(KINDS[code])


def _series(kind: Kind, by_dimension: dict[str, dict[Period, Measure]]) -> Series:
    return sum_series(kind.series(cells) for cells in by_dimension.values())


def _recompute(
    tree: Tree, history: list[events.KpiEvent]
) -> dict[tuple[uuid.UUID, str, str, str], tuple[Measure, int]]:
    """Every node total from the history: the sum of its projects' series, by their kinds."""
    cells = _cells(history)
    names = {project: name for name, project in tree.projects.items()}
    expected: dict[tuple[uuid.UUID, str, str, str], tuple[Measure, int]] = {}
    for view in ("current", "approved"):
        for (project, code), by_dimension in _per_key(cells, view).items():
            kind = _kind(code)
            for node in tree.closure(names[project]):
                for period_key, (m, n) in kind.counted(_series(kind, by_dimension)).items():
                    total, count = expected.get((node, code, view, period_key), (Measure(), 0))
                    expected[(node, code, view, period_key)] = (total + m, count + n)
    return expected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actions=st.lists(action, min_size=1, max_size=40), batch_size=st.integers(1, 7))
def test_incremental_totals_equal_recomputation(
    tmp_path: Path, actions: list[tuple[Any, ...]], batch_size: int
) -> None:
    asyncio.run(_check(tmp_path / f"{uuid.uuid4().hex}.db", actions, batch_size))


async def _check(path: Path, actions: list[tuple[Any, ...]], batch_size: int) -> None:
    tree = Tree()
    sessions = await create_kpi_database(f"sqlite+aiosqlite:///{path}")
    await seed_tree(sessions, tree)
    deliveries, history = _history(tree, actions)
    event_ids = {id(e): str(uuid.uuid4()) for e in history}  # what ce_id would carry
    for start in range(0, len(deliveries), batch_size):
        async with kpi_uow(sessions) as uow:
            batch = []
            for e in deliveries[start : start + batch_size]:  # the inbox drops repeats
                if not await uow.already_processed("projection", event_ids[id(e)]):
                    uow.mark_processed("projection", event_ids[id(e)])
                    await uow.session.flush()
                    batch.append(e)
            await apply_kpi_events(uow, batch, Options(announce=False))
            await uow.commit()
    assert _without_empty(await node_totals(sessions)) == _without_empty(_recompute(tree, history))
    assert await _progress_rows(sessions) == _review_figures(history)
    await sessions.kw["bind"].dispose()


ReviewFigures = tuple[Decimal | None, Decimal | None, int, Decimal | None, int]


async def _progress_rows(
    sessions: async_sessionmaker[AsyncSession],
) -> dict[tuple[uuid.UUID, str], ReviewFigures]:
    async with sessions() as session:
        rows = (await session.exec(select(ProgressState))).all()
    return {
        (r.project_id, r.indicator_code): (
            r.realised,
            r.approved,
            r.pending_reports,
            r.pending_value,
            r.flagged_reports,
        )
        for r in rows
    }


def _value(kind: Kind, by_dimension: dict[str, dict[Period, Measure]]) -> Decimal | None:
    found = kind.realised(_series(kind, by_dimension))
    return None if found is None else found.quantize(Decimal("0.000001"))


def _review_figures(history: list[events.KpiEvent]) -> dict[tuple[uuid.UUID, str], ReviewFigures]:
    """Each progress row's realised and approved values and what awaits review (the latest
    version of a cell not returned, while it is only submitted), from the history alone."""
    cells = _cells(history)
    current, approved = _per_key(cells, "current"), _per_key(cells, "approved")
    waiting: dict[tuple[uuid.UUID, str], list[Any]] = defaultdict(list)
    for (project, code, _, _), versions in cells.items():
        chosen = _chosen(versions, "current")
        if chosen and chosen[1] == "submitted":
            waiting[(project, code)].append(chosen[0])
    expected: dict[tuple[uuid.UUID, str], ReviewFigures] = {}
    for key in {cell[:2] for cell in cells}:
        kind, pending = _kind(key[1]), waiting[key]
        expected[key] = (
            _value(kind, current.get(key, {})),
            _value(kind, approved.get(key, {})),
            len(pending),
            sum((e.value for e in pending), Decimal(0)) if kind.facts.adds_up else None,
            sum(1 for e in pending if e.flags),
        )
    return expected
