"""Property: whatever the order of reports, revisions, reviews and redeliveries, the
incremental totals equal a straightforward recomputation from the history."""

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

from services.kpi.domain.indicators import IndicatorKind
from services.kpi.domain.periods import Period
from services.kpi.domain.progress import realised_value as progress_value
from services.kpi.domain.series import Measure, Series, counted, project_series, sum_series
from services.kpi.models import ProgressState
from services.kpi.projection import Options, apply_kpi_events
from shared.contracts import kpi as events
from tests.integration.kpi.projection_harness import (
    Tree,
    create_kpi_database,
    kpi_uow,
    node_totals,
    seed_tree,
)

KINDS = {"FLOW": IndicatorKind.FLOW, "STOCK": IndicatorKind.STOCK, "RATIO": IndicatorKind.RATIO}
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
            ratio = code == "RATIO"
            event = events.ReportSubmitted(
                project_id=tree.projects[project],
                indicator_code=code,
                report_id=uuid.uuid4(),
                indicator_kind=KINDS[code],
                period=period,
                dimension_key=dim,
                version=versions[cell],
                value=None if ratio else Decimal(value),
                numerator=Decimal(min(value, denominator)) if ratio else None,
                denominator=Decimal(denominator) if ratio else None,
                comment=None,
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


def _recompute(
    tree: Tree, history: list[events.KpiEvent]
) -> dict[tuple[uuid.UUID, str, str, str], tuple[Measure, int]]:
    cells: dict[tuple[uuid.UUID, str, str, str], dict[int, list[Any]]] = defaultdict(dict)
    for e in history:
        key = (e.project_id, e.indicator_code, e.period, e.dimension_key)  # type: ignore[attr-defined]
        if isinstance(e, events.ReportSubmitted):
            m = Measure(
                e.value or Decimal(0), e.numerator or Decimal(0), e.denominator or Decimal(0)
            )
            cells[key][e.version] = [m, "submitted"]
        elif isinstance(e, events.ReportApproved):
            cells[key][e.version][1] = "approved"
        elif isinstance(e, events.ReportReturned):
            cells[key][e.version][1] = "returned"
    expected: dict[tuple[uuid.UUID, str, str, str], tuple[Measure, int]] = {}
    for view in ("current", "approved"):
        per_project: dict[tuple[uuid.UUID, str], dict[str, dict[Period, Measure]]] = defaultdict(
            lambda: defaultdict(dict)
        )
        for (project, code, period, dim), versions in cells.items():
            ok = [
                v
                for v, (_, state) in versions.items()
                if (state != "returned" if view == "current" else state == "approved")
            ]
            if ok:
                per_project[(project, code)][dim][Period.parse(period)] = versions[max(ok)][0]
        series: dict[tuple[uuid.UUID, str], Series] = {
            k: sum_series(project_series(KINDS[k[1]], c) for c in dims.values())
            for k, dims in per_project.items()
        }
        for name, project in tree.projects.items():
            for node in tree.closure(name):
                for (p, code), s in series.items():
                    if p != project:
                        continue
                    for period_key, (m, n) in counted(KINDS[code], s).items():
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


def _value(kind: IndicatorKind, by_dimension: dict[str, dict[Period, Measure]]) -> Decimal | None:
    series = sum_series(project_series(kind, c) for c in by_dimension.values())
    found = progress_value(kind, series)
    return None if found is None else found.quantize(Decimal("0.000001"))


def _review_figures(history: list[events.KpiEvent]) -> dict[tuple[uuid.UUID, str], ReviewFigures]:
    """Each progress row's realised and approved values and what awaits review (the latest
    version of a cell not returned, while it is only submitted), from the history alone."""
    cells: dict[tuple[uuid.UUID, str, str, str], dict[int, list[Any]]] = defaultdict(dict)
    for e in history:
        key = (e.project_id, e.indicator_code, e.period, e.dimension_key)  # type: ignore[attr-defined]
        if isinstance(e, events.ReportSubmitted):
            cells[key][e.version] = [e, "submitted"]
        elif isinstance(e, events.ReportApproved | events.ReportReturned) and (
            e.version in cells[key]
        ):
            cells[key][e.version][1] = (
                "approved" if isinstance(e, events.ReportApproved) else "returned"
            )
    per_key: dict[tuple[uuid.UUID, str], dict[str, Any]] = defaultdict(
        lambda: {"current": defaultdict(dict), "approved": defaultdict(dict), "waiting": []}
    )
    for (project, code, period, dim), versions in cells.items():
        figures = per_key[(project, code)]
        for view in ("current", "approved"):
            ok = [
                v
                for v, (_, state) in versions.items()
                if (state != "returned" if view == "current" else state == "approved")
            ]
            if ok:
                event = versions[max(ok)][0]
                figures[view][dim][Period.parse(period)] = Measure(
                    event.value or Decimal(0),
                    event.numerator or Decimal(0),
                    event.denominator or Decimal(0),
                )
                if view == "current" and versions[max(ok)][1] == "submitted":
                    figures["waiting"].append(event)
    expected: dict[tuple[uuid.UUID, str], ReviewFigures] = {}
    for (project, code), figures in per_key.items():
        kind = KINDS[code]
        waiting = figures["waiting"]
        expected[(project, code)] = (
            _value(kind, figures["current"]),
            _value(kind, figures["approved"]),
            len(waiting),
            sum((e.value for e in waiting), Decimal(0)) if kind is IndicatorKind.FLOW else None,
            sum(1 for e in waiting if e.flags),
        )
    return expected
