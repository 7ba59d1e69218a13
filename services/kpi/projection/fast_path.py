"""The fast path for incremental kinds (flows, ratios): each cell's difference added to the
period keys its kind names (`Kind.period_keys`), the same keys its series rolls up into."""

import uuid
from collections.abc import Iterable, Mapping
from datetime import date

from services.kpi.domain.kinds import Kind
from services.kpi.domain.series import (
    ALL,
    Measure,
)
from services.kpi.projection.totals import NodeDeltas, closures
from services.kpi.projection.views import (
    APPROVED,
    CURRENT,
    VIEWS,
    Cell,
    Recomputed,
    version_measure,
)
from services.kpi.repository import (
    Key,
    ProjectFacts,
    TotalRow,
    VersionRow,
)
from services.kpi.uow import KpiUnitOfWork


def cell_measures(versions: Iterable[VersionRow]) -> dict[str, Measure]:
    """A cell's counting measure per view (one cell is one period and dimension, so
    `chosen_versions` picks at most one version per view); a view it does not count in
    is absent."""
    current: VersionRow | None = None
    approved: VersionRow | None = None
    for v in versions:
        if v.state != "returned" and (current is None or v.version > current.version):
            current = v
        if v.state == "approved" and (approved is None or v.version > approved.version):
            approved = v
    chosen = {CURRENT: current, APPROVED: approved}
    return {view: version_measure(v) for view, v in chosen.items() if v is not None}


Differences = dict[tuple[uuid.UUID, str, str], dict[str, Measure]]


def _change(old: Measure | None, new: Measure | None) -> Measure | None:
    """What a cell adds to its periods in one view (None: it counts there neither side)."""
    if new is None:
        return None if old is None else -old
    return new if old is None else new - old


def _differences(
    keys: Mapping[Key, Kind],
    cells_of: Mapping[Key, set[Cell]],
    measures: Mapping[Cell, tuple[dict[str, Measure], dict[str, Measure]]],
) -> tuple[Differences, dict[tuple[uuid.UUID, str, str], set[str]], dict[Key, date]]:
    """Per (project, indicator, view): each period key's difference, and the period keys
    that count a version afterwards (keyed so, a UUID is hashed once per cell and view);
    per key, its latest reported period's end."""
    added: Differences = {}
    appears: dict[tuple[uuid.UUID, str, str], set[str]] = {}
    latest: dict[Key, date] = {}
    for key, kind in keys.items():
        project_id, code = key
        keys_of = kind.period_keys
        for cell in cells_of[key]:
            end, period_keys = keys_of(cell[2])
            old_by_view, new_by_view = measures[cell]
            if CURRENT in new_by_view and (key not in latest or end > latest[key]):
                latest[key] = end
            for view in VIEWS:
                change = _change(old_by_view.get(view), new_by_view.get(view))
                if change is None:
                    continue
                if view in new_by_view:
                    appears.setdefault((project_id, code, view), set()).update(period_keys)
                sums = added.setdefault((project_id, code, view), {})
                for period_key in period_keys:
                    held = sums.get(period_key)
                    sums[period_key] = change if held is None else held + change
    return added, appears, latest


async def _numbered_closures(
    uow: KpiUnitOfWork, projects: Mapping[uuid.UUID, ProjectFacts]
) -> tuple[dict[uuid.UUID, int], dict[int, frozenset[uuid.UUID]]]:
    """Projects on the same goals share their closure: their differences are added up first,
    then spread over the closure's nodes once. Closures are numbered, so grouping compares
    small numbers instead of sets of UUIDs; -1 is no node at all."""
    numbered: dict[frozenset[uuid.UUID], int] = {}
    closure_of = {
        p: numbered.setdefault(frozenset(n), len(numbered))
        for p, n in (await closures(uow, projects)).items()
    }
    nodes_by_number = {number: nodes for nodes, number in numbered.items()}
    nodes_by_number[-1] = frozenset()
    return closure_of, nodes_by_number


async def apply_cell_changes(
    uow: KpiUnitOfWork,
    keys: Mapping[Key, Kind],
    cells_of: Mapping[Key, set[Cell]],
    measures: Mapping[Cell, tuple[dict[str, Measure], dict[str, Measure]]],
    projects: Mapping[uuid.UUID, ProjectFacts],
) -> Recomputed:
    """The fast path for incremental kinds: add each cell's difference to the period keys
    its kind names (`keys`: each key with its kind).

    `measures` holds each cell's counting measure per view before and after the batch.
    Returns each key's new `all` total per view it changed in and its latest reported
    period's end.
    """
    if not keys:
        return Recomputed()
    added, appears, latest = _differences(keys, cells_of, measures)
    stored: dict[tuple[uuid.UUID, str, str], dict[str, TotalRow]] = {}
    wanted = [(*kv, period_key) for kv, sums in added.items() for period_key in sums]
    for t in await uow.projection.totals_at(wanted):
        stored.setdefault(t[:3], {})[t.period_key] = t
    closure_of, nodes_by_number = await _numbered_closures(uow, projects)
    nowhere = -1
    by_closure: dict[tuple[int, str, str, str], tuple[Measure, int]] = {}
    out = Recomputed(as_of=dict(latest))
    rows: list[TotalRow] = []  # differences to add; a flow's row counts 1 project
    nothing: dict[str, TotalRow] = {}
    for (project_id, code, view), sums in added.items():
        number = closure_of.get(project_id, nowhere)
        before = stored.get((project_id, code, view), nothing)
        new_keys = appears.get((project_id, code, view), ())
        for period_key, delta in sums.items():
            new_project = 1 if period_key in new_keys and period_key not in before else 0
            group = (number, code, view, period_key)
            grouped = by_closure.get(group)
            by_closure[group] = (
                (delta, new_project)
                if grouped is None
                else (grouped[0] + delta, grouped[1] + new_project)
            )
            rows.append(
                TotalRow(
                    project_id=project_id,
                    indicator_code=code,
                    view=view,
                    period_key=period_key,
                    value=delta.value,
                    numerator=delta.numerator,
                    denominator=delta.denominator,
                    projects=1,
                )
            )
        if ALL in sums:
            row = before.get(ALL)
            base = Measure(row.value, row.numerator, row.denominator) if row else Measure()
            totals = out.current if view == CURRENT else out.approved
            totals[(project_id, code)] = {ALL: base + sums[ALL]}
    deltas = NodeDeltas()
    for (number, code, view, period_key), (summed, count) in by_closure.items():
        deltas.add(nodes_by_number[number], code, view, period_key, summed, count)
    uow.projection.add_to_project_totals(rows)
    uow.projection.add_to_node_totals(deltas.rows())
    return out
