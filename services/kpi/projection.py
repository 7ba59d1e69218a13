"""The aggregation projection: totals along the goal tree, kept up to date event by event.

For every (project, indicator) an event touches, the project's series is computed
afresh from its cell versions (`domain.series`), compared with the series stored
before, and the difference is added — atomically, in SQL — to the total of every node
the project counts in: each of its goals, their ancestors and the programme, each
node once, so a project linked to several goals counts in full in each goal and
once in any total above them. Two views are kept: `current` (the latest version not
returned) and `approved` (the latest approved version).
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.kpi.domain.indicators import Direction, IndicatorKind
from services.kpi.domain.periods import Period
from services.kpi.domain.progress import Target, Tolerances, progress
from services.kpi.domain.series import (
    Measure,
    Series,
    project_series,
    series_changes,
    sum_series,
)
from services.kpi.models import CellVersion, ProgressState, ProjectReplica, TargetState
from services.kpi.repository import Key
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import kpi as events

CURRENT, APPROVED = "current", "approved"
VIEWS = (CURRENT, APPROVED)
SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Options:
    tolerances: Tolerances = field(default_factory=Tolerances)
    emit_status_changes: bool = True  # off while rebuilding: history is not news


def chosen_versions(
    versions: Iterable[CellVersion], view: str
) -> dict[tuple[str, str], CellVersion]:
    """Per (period, dimension): the latest version not returned, or the latest approved one."""
    chosen: dict[tuple[str, str], CellVersion] = {}
    for v in versions:
        eligible = v.state != "returned" if view == CURRENT else v.state == "approved"
        key = (v.period, v.dimension_key)
        if eligible and (key not in chosen or v.version > chosen[key].version):
            chosen[key] = v
    return chosen


def _measure(v: CellVersion) -> Measure:
    return Measure(v.value or Decimal(0), v.numerator or Decimal(0), v.denominator or Decimal(0))


def series_of(versions: Sequence[CellVersion], view: str, horizon: Period | None) -> Series:
    """The project's series for one indicator in one view, summed over disaggregations."""
    if not versions:
        return {}
    kind = IndicatorKind(versions[0].kind)
    by_dimension: dict[str, dict[Period, Measure]] = defaultdict(dict)
    for (period, dimension), v in chosen_versions(versions, view).items():
        by_dimension[dimension][Period.parse(period)] = _measure(v)
    return sum_series(project_series(kind, cells, horizon) for cells in by_dimension.values())


async def closures(
    uow: KpiUnitOfWork, projects: Mapping[uuid.UUID, ProjectReplica]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Every node each project counts in: its goals, their ancestors, its programme."""
    parents = await uow.replica.goal_parents({p.programme_id for p in projects.values()})
    links = await uow.replica.goal_ids(projects)
    result: dict[uuid.UUID, set[uuid.UUID]] = {}
    for project_id, project in projects.items():
        nodes = {project.programme_id}
        for goal in links.get(project_id, set()):
            cursor: uuid.UUID | None = goal
            while cursor is not None and cursor not in nodes:
                nodes.add(cursor)
                cursor = parents.get(cursor)
        result[project_id] = nodes
    return result


def _total_row(project_id: uuid.UUID, code: str, view: str, key: str, m: Measure) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "indicator_code": code,
        "view": view,
        "period_key": key,
        "value": m.value,
        "numerator": m.numerator,
        "denominator": m.denominator,
    }


class NodeDeltas:
    """Differences to add to node totals, merged per row before one bulk upsert."""

    def __init__(self) -> None:
        self._rows: dict[tuple[uuid.UUID, str, str, str], list[Any]] = {}

    def add(
        self,
        nodes: Iterable[uuid.UUID],
        code: str,
        view: str,
        key: str,
        delta: Measure,
        projects: int,
    ) -> None:
        for node in nodes:
            row = self._rows.setdefault(
                (node, code, view, key), [Decimal(0), Decimal(0), Decimal(0), 0]
            )
            row[0] += delta.value
            row[1] += delta.numerator
            row[2] += delta.denominator
            row[3] += projects

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "node_id": node,
                "indicator_code": code,
                "view": view,
                "period_key": key,
                "value": v,
                "numerator": n,
                "denominator": d,
                "projects": c,
            }
            for (node, code, view, key), (v, n, d, c) in self._rows.items()
            if v or n or d or c
        ]


async def refresh(uow: KpiUnitOfWork, keys: set[Key], options: Options) -> None:
    """Recompute the touched (project, indicator) series and push the differences up the tree."""
    if not keys:
        return
    versions = await uow.projection.versions(keys)
    stored: dict[tuple[Key, str], Series] = defaultdict(dict)
    for t in await uow.projection.project_totals(keys):
        stored[((t.project_id, t.indicator_code), t.view)][t.period_key] = Measure(
            t.value, t.numerator, t.denominator
        )
    projects = await uow.replica.projects({p for p, _ in keys})
    nodes_of = await closures(uow, projects)
    deltas, total_rows = NodeDeltas(), []
    for key in keys:
        project = projects.get(key[0])
        horizon = Period.quarter_of(project.end_date) if project else None
        for view in VIEWS:
            after = series_of(versions.get(key, []), view, horizon)
            for period_key, change in series_changes(stored.get((key, view), {}), after).items():
                deltas.add(
                    nodes_of.get(key[0], set()),
                    key[1],
                    view,
                    period_key,
                    change.delta,
                    change.projects,
                )
            total_rows += [_total_row(key[0], key[1], view, k, m) for k, m in after.items()]
    await uow.projection.replace_project_totals(keys, total_rows)
    await uow.projection.add_to_node_totals(deltas.rows())
    await _update_progress(uow, keys, versions, projects, options)


async def reattribute(
    uow: KpiUnitOfWork, project_id: uuid.UUID, before: set[uuid.UUID], after: set[uuid.UUID]
) -> None:
    """The project's goal links or the tree above them changed: move its totals between nodes."""
    removed, added = before - after, after - before
    if not removed and not added:
        return
    keys = await uow.projection.keys_of_projects([project_id])
    deltas = NodeDeltas()
    for t in await uow.projection.project_totals(keys):
        m = Measure(t.value, t.numerator, t.denominator)
        deltas.add(removed, t.indicator_code, t.view, t.period_key, Measure() - m, -1)
        deltas.add(added, t.indicator_code, t.view, t.period_key, m, 1)
    await uow.projection.add_to_node_totals(deltas.rows())


def _as_of(versions: Sequence[CellVersion]) -> Period | None:
    periods = [Period.parse(p) for (p, _) in chosen_versions(versions, CURRENT)]
    return max(periods, key=lambda p: p.sort_key) if periods else None


def _target(state: TargetState | None) -> Target | None:
    if state is None or state.target_value is None or state.target_date is None:
        return None
    return Target(
        target_value=state.target_value,
        target_date=state.target_date,
        baseline_value=state.baseline_value or Decimal(0),
        baseline_year=state.baseline_year,
        direction=Direction(state.direction),
    )


def _rounded(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(SIX_PLACES)


async def _update_progress(
    uow: KpiUnitOfWork,
    keys: set[Key],
    versions: Mapping[Key, Sequence[CellVersion]],
    projects: Mapping[uuid.UUID, ProjectReplica],
    options: Options,
) -> None:
    targets = await uow.projection.targets(keys)
    previous = await uow.projection.progress(keys)
    for key in keys:
        project, target_state = projects.get(key[0]), targets.get(key)
        kinds = {v.kind for v in versions.get(key, [])} or (
            {target_state.kind} if target_state else set()
        )
        if project is None or not kinds:
            continue
        kind = IndicatorKind(kinds.pop())
        horizon = Period.quarter_of(project.end_date)
        as_of = _as_of(versions.get(key, []))
        result = progress(
            kind,
            series_of(versions.get(key, []), CURRENT, horizon),
            _target(target_state),
            as_of.end if as_of else None,
            project.start_date,
            options.tolerances,
        )
        state = ProgressState(
            project_id=key[0],
            indicator_code=key[1],
            realised=_rounded(result.realised),
            expected=_rounded(result.expected),
            percent_of_target=_rounded(result.percent_of_target),
            status=result.status,
            as_of=result.as_of,
        )
        old = previous.get(key)
        await uow.projection.put_progress(state)
        if (
            options.emit_status_changes
            and state.status
            and state.status != (old.status if old else None)
        ):
            uow.publish(
                events.ProgressStatusChanged(
                    project_id=key[0],
                    indicator_code=key[1],
                    previous_status=old.status if old else None,
                    status=state.status,
                    realised=state.realised,
                    expected=state.expected,
                    percent_of_target=state.percent_of_target,
                    as_of=state.as_of,
                )
            )


def _version_row(e: events.ReportSubmitted) -> dict[str, Any]:
    return {
        "project_id": e.project_id,
        "indicator_code": e.indicator_code,
        "period": e.period,
        "dimension_key": e.dimension_key,
        "version": e.version,
        "kind": e.indicator_kind,
        "value": e.value,
        "numerator": e.numerator,
        "denominator": e.denominator,
        "comment": e.comment,
        "state": "submitted",
    }


async def apply_kpi_events(
    uow: KpiUnitOfWork, batch: Sequence[events.KpiEvent], options: Options
) -> None:
    """Apply a batch of kpi.events.v1 events in order, then refresh what they touched once."""
    touched: set[Key] = set()
    pending: list[dict[str, Any]] = []  # new versions, written together before any review
    for event in batch:
        if isinstance(event, events.ReportSubmitted):  # and ReportRevised
            pending.append(_version_row(event))
        elif isinstance(event, events.ReportApproved | events.ReportReturned):
            await uow.projection.put_versions(pending)
            pending = []
            state = "approved" if isinstance(event, events.ReportApproved) else "returned"
            await uow.projection.set_state(
                (
                    event.project_id,
                    event.indicator_code,
                    event.period,
                    event.dimension_key,
                    event.version,
                ),
                state,
            )
        elif isinstance(event, events.TargetSet):
            await uow.projection.put_target(_target_state(event))
        else:
            continue
        touched.add((event.project_id, event.indicator_code))
    await uow.projection.put_versions(pending)
    await refresh(uow, touched, options)


def _target_state(e: events.TargetSet) -> TargetState:
    return TargetState(
        project_id=e.project_id,
        indicator_code=e.indicator_code,
        kind=e.indicator_kind,
        direction=e.direction,
        baseline_value=e.baseline_value,
        baseline_year=e.baseline_year,
        target_value=e.target_value,
        target_date=e.target_date,
    )
