"""Node totals: a project's series diffed with the stored one and pushed up the goal tree
(the general path), and totals moved between nodes when the tree or the links change."""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from services.kpi.domain.kinds import kind_of
from services.kpi.domain.series import (
    Counted,
    Measure,
    Series,
    series_changes,
)
from services.kpi.projection.progress import update_progress
from services.kpi.projection.views import (
    CURRENT,
    VIEWS,
    Options,
    Recomputed,
    as_of,
    awaiting,
    end,
    series_of,
)
from services.kpi.repository import (
    Key,
    ProjectFacts,
    VersionRow,
)
from services.kpi.uow import KpiUnitOfWork


class InProgramme(Protocol):
    @property
    def programme_id(self) -> uuid.UUID: ...


async def closures(
    uow: KpiUnitOfWork, projects: Mapping[uuid.UUID, InProgramme]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Every node each project counts in: its goals, their ancestors, its programme."""
    reference = await uow.reference()
    return {pid: reference.nodes_of(pid, p.programme_id) for pid, p in projects.items()}


def _total_row(
    project_id: uuid.UUID, code: str, view: str, key: str, m: Measure, projects: int
) -> dict[str, Any]:
    return {
        "project_id": project_id,
        "indicator_code": code,
        "view": view,
        "period_key": key,
        "value": m.value,
        "numerator": m.numerator,
        "denominator": m.denominator,
        "projects": projects,
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
    projects = (await uow.reference()).projects_among({p for p, _ in keys})
    found = await recompute(uow, keys, projects)
    await update_progress(uow, keys, found, projects, options)


async def recompute(
    uow: KpiUnitOfWork, keys: set[Key], projects: Mapping[uuid.UUID, ProjectFacts]
) -> Recomputed:
    """The general path: each key's series from all its versions, diffed with the stored one."""
    if not keys:
        return Recomputed()
    versions = await uow.projection.versions(keys)
    stored: dict[tuple[Key, str], Counted] = defaultdict(dict)
    for t in await uow.projection.project_totals(keys):
        stored[((t.project_id, t.indicator_code), t.view)][t.period_key] = (
            Measure(t.value, t.numerator, t.denominator),
            t.projects,
        )
    nodes_of = await closures(uow, projects)
    deltas, upserts, removals = NodeDeltas(), [], []
    out = Recomputed()
    for key in keys:
        nodes = nodes_of.get(key[0], set())
        found = versions.get(key, [])
        out.awaiting[key] = awaiting(found)
        for view in VIEWS:
            series, after = _series(found, view)
            (out.current if view == CURRENT else out.approved)[key] = series
            for period_key, change in series_changes(stored.get((key, view), {}), after).items():
                deltas.add(nodes, key[1], view, period_key, change.delta, change.projects)
                if period_key in after:
                    upserts.append(_total_row(key[0], key[1], view, period_key, *after[period_key]))
                else:
                    removals.append((key[0], key[1], view, period_key))
    uow.projection.write_project_totals(upserts, removals)
    uow.projection.add_to_node_totals(deltas.rows())
    out.kinds = {k: vs[0].kind for k, vs in versions.items() if vs}
    out.as_of = {k: end(as_of(versions.get(k, []))) for k in keys}
    return out


def _series(found: Sequence[VersionRow], view: str) -> tuple[Series, Counted]:
    """A key's series in the view, and what it adds to its nodes (by the indicator's kind)."""
    if not found:
        return {}, {}
    kind = kind_of(found[0].kind)
    series = series_of(found, view, kind)
    return series, kind.counted(series)


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
        deltas.add(removed, t.indicator_code, t.view, t.period_key, Measure() - m, -t.projects)
        deltas.add(added, t.indicator_code, t.view, t.period_key, m, t.projects)
    uow.projection.add_to_node_totals(deltas.rows())
