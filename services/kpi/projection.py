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
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from services.kpi.domain.indicators import Direction, Indicator, IndicatorKind
from services.kpi.domain.periods import Period
from services.kpi.domain.progress import Target, Tolerances, progress
from services.kpi.domain.progress import realised_value as progress_value
from services.kpi.domain.series import (
    ALL,
    ZERO,
    Counted,
    Measure,
    Series,
    counted,
    measure,
    project_series,
    series_changes,
    sum_series,
)
from services.kpi.repository import (
    Key,
    ProgressRow,
    ProjectFacts,
    TargetRow,
    TotalRow,
    VersionRow,
)
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import kpi as events
from shared.telemetry import tracer

CURRENT, APPROVED = "current", "approved"
# Node totals are pushed along the goal tree and the projects' goal links: report batches
# take this lock shared (they add differences, in any order), registry changes that move
# totals between nodes take it alone. Each reads links and series after taking it (ADR 8).
GOAL_TREE = "kpi.goal-tree"
VIEWS = (CURRENT, APPROVED)
SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class Options:
    tolerances: Tolerances = field(default_factory=Tolerances)
    announce: bool = True  # status and realised-value events; off while rebuilding


def chosen_versions(versions: Iterable[VersionRow], view: str) -> dict[tuple[str, str], VersionRow]:
    """Per (period, dimension): the latest version not returned, or the latest approved one."""
    chosen: dict[tuple[str, str], VersionRow] = {}
    for v in versions:
        eligible = v.state != "returned" if view == CURRENT else v.state == "approved"
        key = (v.period, v.dimension_key)
        if eligible and (key not in chosen or v.version > chosen[key].version):
            chosen[key] = v
    return chosen


def _measure(v: VersionRow) -> Measure:
    return measure(v.value or ZERO, v.numerator or ZERO, v.denominator or ZERO)


def series_of(versions: Sequence[VersionRow], view: str) -> Series:
    """The project's series for one indicator in one view, summed over disaggregations."""
    if not versions:
        return {}
    kind = IndicatorKind(versions[0].kind)
    by_dimension: dict[str, dict[Period, Measure]] = defaultdict(dict)
    for (period, dimension), v in chosen_versions(versions, view).items():
        by_dimension[dimension][Period.parse(period)] = _measure(v)
    return sum_series(project_series(kind, cells) for cells in by_dimension.values())


@dataclass(frozen=True)
class Awaiting:
    """What awaits review in one project's indicator: the cells whose counted (latest,
    not returned) version is not yet approved, their values' sum (flows) and how many of
    them carry plausibility flags."""

    reports: int = 0
    value: Decimal = ZERO
    flagged: int = 0

    def __add__(self, other: "Awaiting") -> "Awaiting":
        return Awaiting(
            self.reports + other.reports, self.value + other.value, self.flagged + other.flagged
        )

    def __sub__(self, other: "Awaiting") -> "Awaiting":
        return Awaiting(
            self.reports - other.reports, self.value - other.value, self.flagged - other.flagged
        )


NOTHING_AWAITS = Awaiting()


def _awaiting_version(v: VersionRow | None) -> Awaiting:
    if v is None or v.state != "submitted":
        return NOTHING_AWAITS
    return Awaiting(1, v.value or ZERO, 1 if v.flags else 0)


def awaiting(versions: Iterable[VersionRow]) -> Awaiting:
    """Summed over the cells of `versions` (all of one project's indicator, or one cell)."""
    total = NOTHING_AWAITS
    for v in chosen_versions(versions, CURRENT).values():
        total += _awaiting_version(v)
    return total


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
    found = await _recompute(uow, keys, projects)
    await _update_progress(uow, keys, found, projects, options)


@dataclass
class Recomputed:
    """What a batch found per touched key, for its progress row. Keys absent from
    `approved` did not change in that view; `awaiting` holds absolute figures for keys
    recomputed in full and differences for keys of the fast path (`Progress.only_later`)."""

    kinds: dict[Key, str] = field(default_factory=dict)
    current: dict[Key, Series] = field(default_factory=dict)
    approved: dict[Key, Series] = field(default_factory=dict)
    as_of: dict[Key, date | None] = field(default_factory=dict)
    awaiting: dict[Key, Awaiting] = field(default_factory=dict)

    def update(self, other: "Recomputed") -> "Recomputed":
        self.kinds.update(other.kinds)
        self.current.update(other.current)
        self.approved.update(other.approved)
        self.as_of.update(other.as_of)
        self.awaiting.update(other.awaiting)
        return self


async def _recompute(
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
            series = series_of(found, view)
            (out.current if view == CURRENT else out.approved)[key] = series
            after = counted(IndicatorKind(found[0].kind), series) if found else {}
            for period_key, change in series_changes(stored.get((key, view), {}), after).items():
                deltas.add(nodes, key[1], view, period_key, change.delta, change.projects)
                if period_key in after:
                    upserts.append(_total_row(key[0], key[1], view, period_key, *after[period_key]))
                else:
                    removals.append((key[0], key[1], view, period_key))
    uow.projection.write_project_totals(upserts, removals)
    uow.projection.add_to_node_totals(deltas.rows())
    out.kinds = {k: vs[0].kind for k, vs in versions.items() if vs}
    out.as_of = {k: _end(_as_of(versions.get(k, []))) for k in keys}
    return out


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


def _end(period: Period | None) -> date | None:
    return period.end if period else None


def _as_of(versions: Sequence[VersionRow]) -> Period | None:
    periods = [Period.parse(p) for (p, _) in chosen_versions(versions, CURRENT)]
    return max(periods, key=lambda p: p.sort_key) if periods else None


def _target(state: TargetRow | None) -> Target | None:
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
    found: Recomputed,
    projects: Mapping[uuid.UUID, ProjectFacts],
    options: Options,
    only_later: Set[Key] = frozenset(),
) -> None:
    """Progress of each key; `only_later` keys saw only this batch's cells (the fast path):
    their latest period can only move forward and `found.awaiting` holds differences."""
    targets = await uow.projection.targets(keys)
    previous = await uow.projection.progress(keys)
    rows: list[dict[str, Any]] = []
    realised_changed: list[tuple[Key, str, dict[str, Any]]] = []
    for key in keys:
        project, target_state = projects.get(key[0]), targets.get(key)
        kind = found.kinds.get(key) or (target_state.kind if target_state else None)
        if project is None or kind is None:
            continue
        old = previous.get(key)
        as_of = found.as_of.get(key)
        if key in only_later and old and old.as_of:
            as_of = max(d for d in (as_of, old.as_of) if d)
        result = progress(
            IndicatorKind(kind),
            found.current.get(key, {}),
            _target(target_state),
            as_of,
            project.start_date,
            options.tolerances,
        )
        row = {
            "project_id": key[0],
            "indicator_code": key[1],
            "realised": _rounded(result.realised),
            "expected": _rounded(result.expected),
            "percent_of_target": _rounded(result.percent_of_target),
            "status": result.status.value if result.status else None,
            "as_of": result.as_of,
            **_review_fields(IndicatorKind(kind), key, found, old, key in only_later),
        }
        rows.append(row)
        if _announced(old) != tuple(row[name] for name in ANNOUNCED):
            realised_changed.append((key, kind, row))
        old_status = old.status if old else None
        if options.announce and row["status"] and row["status"] != old_status:
            uow.publish(
                events.ProgressStatusChanged(
                    project_id=key[0],
                    indicator_code=key[1],
                    previous_status=old_status,
                    status=row["status"],
                    realised=row["realised"],
                    expected=row["expected"],
                    percent_of_target=row["percent_of_target"],
                    as_of=row["as_of"],
                )
            )
    uow.projection.put_progress(rows)
    if options.announce and realised_changed:
        await _announce_realised(uow, realised_changed)


# a progress row's fields that `OutputsRealised` announces when one of them changes
ANNOUNCED = (
    "realised",
    "as_of",
    "approved",
    "pending_reports",
    "pending_value",
    "flagged_reports",
)


def _announced(row: ProgressRow | None) -> tuple[Any, ...]:
    if row is None:
        return (None, None, None, 0, None, 0)
    return tuple(getattr(row, name) for name in ANNOUNCED)


def _review_fields(
    kind: IndicatorKind, key: Key, found: Recomputed, old: ProgressRow | None, delta: bool
) -> dict[str, Any]:
    """The approved value and what awaits review, for a progress row."""
    if key in found.approved:
        approved = _rounded(progress_value(kind, found.approved[key]))
    else:  # unchanged in the approved view this batch
        approved = old.approved if old else None
    waiting = found.awaiting.get(key, NOTHING_AWAITS)
    if delta and old is not None:
        waiting += Awaiting(old.pending_reports, old.pending_value or ZERO, old.flagged_reports)
    return {
        "approved": approved,
        "pending_reports": waiting.reports,
        "pending_value": _rounded(waiting.value) if kind is IndicatorKind.FLOW else None,
        "flagged_reports": waiting.flagged,
    }


async def _announce_realised(
    uow: KpiUnitOfWork, changed: Sequence[tuple[Key, str, Mapping[str, Any]]]
) -> None:
    """One event per project with every realised value this batch changed."""
    indicators = (await uow.reference()).indicators
    by_project: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for (project_id, code), kind, row in changed:
        by_project[project_id].append(realised_value(code, kind, indicators.get(code), row))
    for project_id, outputs in by_project.items():
        uow.publish_fields(events.OutputsRealised, {"project_id": project_id, "outputs": outputs})


def realised_value(
    code: str, kind: str, indicator: Indicator | None, row: Mapping[str, Any]
) -> dict[str, Any]:
    """A `RealisedValue` as the plain fields it encodes from, in its field order: a batch
    announces a thousand, all from checked, typed progress rows."""
    return {
        "indicator_code": code,
        "indicator_kind": kind,
        "unit": indicator.unit if indicator else None,
        "eu_code": indicator.eu_code if indicator else None,
        "realised": row["realised"],
        "as_of": row["as_of"],
        "approved": row["approved"],
        "pending_reports": row["pending_reports"],
        "pending_value": row["pending_value"],
        "flagged_reports": row["flagged_reports"],
    }


def _submitted_version(e: events.ReportSubmitted) -> VersionRow:
    return VersionRow(
        e.project_id,
        e.indicator_code,
        e.period,
        e.dimension_key,
        e.version,
        e.indicator_kind,
        e.value,
        e.numerator,
        e.denominator,
        e.comment,
        "submitted",
        e.flags,
    )


Cell = tuple[uuid.UUID, str, str, str]  # project, indicator, period, dimension


async def apply_kpi_events(
    uow: KpiUnitOfWork, batch: Sequence[events.KpiEvent], options: Options
) -> None:
    """Apply a batch of kpi.events.v1 events in order; then update each touched total once.

    Flows and ratios take a fast path: a cell's change only moves its own quarter, year
    and `all` by the difference of its chosen measure before and after. Stocks (whose
    value carries forward), a cell that loses its last counting version, and target
    changes take the general path that recomputes the project's whole series.
    """
    with tracer(__name__).start_as_current_span(
        "kpi aggregate update", attributes={"koers.events": len(batch)}
    ):
        await uow.lock(GOAL_TREE, shared=True)
        await _apply(uow, batch, options)


async def _apply(uow: KpiUnitOfWork, batch: Sequence[events.KpiEvent], options: Options) -> None:
    report_events = [e for e in batch if isinstance(e, events.ReportCellEvent)]
    before = await uow.projection.cell_versions({_cell(e) for e in report_events})
    after: dict[Cell, dict[int, VersionRow]] = {
        c: {v.version: v for v in vs} for c, vs in before.items()
    }
    changed: dict[tuple[Cell, int], VersionRow] = {}
    kinds: dict[Key, str] = {}
    cells_of: dict[Key, set[Cell]] = defaultdict(set)
    general: set[Key] = set()
    for event in batch:
        key = (event.project_id, event.indicator_code)
        if isinstance(event, events.TargetSet):
            uow.projection.put_target(_target_state(event))
            kinds.setdefault(key, event.indicator_kind)
            general.add(key)
        elif isinstance(event, events.ReportCellEvent):
            cell = _cell(event)
            row = _apply_to_cell(event, after.setdefault(cell, {}).get(event.version))
            if row is not None:
                after[cell][event.version] = changed[(cell, event.version)] = row
            if isinstance(event, events.ReportSubmitted) and event.identifiers and row:
                uow.projection.put_identified(row, event.identifiers)
            kinds[key] = event.indicator_kind
            cells_of[key].add(cell)
    uow.projection.put_versions(changed.values())
    # each touched cell's counting measures before and after the batch, worked out once
    measures = {
        cell: (_cell_measures(before.get(cell, ())), _cell_measures(versions.values()))
        for cell, versions in after.items()
        if cell[:2] in cells_of
    }
    fast = {
        key
        for key, cells in cells_of.items()
        if key not in general
        and kinds[key] in (IndicatorKind.FLOW, IndicatorKind.RATIO)
        and not any(not measures[c][0].keys() <= measures[c][1].keys() for c in cells)
    }
    slow = (general | set(cells_of)) - fast
    projects = (await uow.reference()).projects_among({p for p, _ in fast | slow})
    found = await _recompute(uow, slow, projects)
    fast_found = await _apply_cell_changes(uow, fast, cells_of, measures, projects)
    for key in fast:  # what awaits review, as a difference: the batch's cells before and after
        fast_found.awaiting[key] = sum(
            (
                awaiting(after[cell].values()) - awaiting(before.get(cell, ()))
                for cell in cells_of[key]
            ),
            NOTHING_AWAITS,
        )
    await _update_progress(
        uow,
        fast | slow,
        Recomputed(kinds=kinds).update(found).update(fast_found),
        projects,
        options,
        # the fast path sees only this batch's cells: its latest period moves only forward
        only_later=fast,
    )


def _cell(e: events.ReportCellEvent) -> Cell:
    return (e.project_id, e.indicator_code, e.period, e.dimension_key)


def _apply_to_cell(event: events.ReportCellEvent, existing: VersionRow | None) -> VersionRow | None:
    if isinstance(event, events.ReportSubmitted):  # and ReportRevised
        return _submitted_version(event)
    if existing is None:  # a review of a version never seen: nothing to change
        return None
    return existing._replace(
        state="approved" if isinstance(event, events.ReportApproved) else "returned"
    )


def _cell_measures(versions: Iterable[VersionRow]) -> dict[str, Measure]:
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
    return {view: _measure(v) for view, v in chosen.items() if v is not None}


@lru_cache(maxsize=4096)
def _period_info(text: str) -> tuple[date, tuple[str, ...]]:
    """A reported period's end and the totals it counts in (itself, its year, all)."""
    period = Period.parse(text)
    keys = (str(period), str(period.year_period), ALL) if period.quarter else (str(period), ALL)
    return period.end, keys


async def _apply_cell_changes(
    uow: KpiUnitOfWork,
    keys: set[Key],
    cells_of: Mapping[Key, set[Cell]],
    measures: Mapping[Cell, tuple[dict[str, Measure], dict[str, Measure]]],
    projects: Mapping[uuid.UUID, ProjectFacts],
) -> Recomputed:
    """The fast path for flows and ratios: add each cell's difference to its periods.

    `measures` holds each cell's counting measure per view before and after the batch.
    Returns each key's new `all` total per view it changed in and its latest reported
    period's end.
    """
    if not keys:
        return Recomputed()
    # Per (project, indicator, view): each period key's difference, and the period keys
    # that count a version afterwards; keyed so, a UUID is hashed once per cell and view.
    added: dict[tuple[uuid.UUID, str, str], dict[str, Measure]] = {}
    appears: dict[tuple[uuid.UUID, str, str], set[str]] = {}
    latest: dict[Key, date] = {}
    for key in keys:
        project_id, code = key
        for cell in cells_of[key]:
            end, period_keys = _period_info(cell[2])
            old_by_view, new_by_view = measures[cell]
            if CURRENT in new_by_view and (key not in latest or end > latest[key]):
                latest[key] = end
            for view in VIEWS:
                old, new = old_by_view.get(view), new_by_view.get(view)
                if new is None:
                    if old is None:
                        continue
                    change = -old
                else:
                    change = new if old is None else new - old
                    appears.setdefault((project_id, code, view), set()).update(period_keys)
                sums = added.setdefault((project_id, code, view), {})
                for period_key in period_keys:
                    held = sums.get(period_key)
                    sums[period_key] = change if held is None else held + change
    stored: dict[tuple[uuid.UUID, str, str], dict[str, TotalRow]] = {}
    wanted = [(*kv, period_key) for kv, sums in added.items() for period_key in sums]
    for t in await uow.projection.totals_at(wanted):
        stored.setdefault(t[:3], {})[t.period_key] = t
    # Projects on the same goals share their closure: add their differences up first, then
    # spread each sum over the closure's nodes once. Closures are numbered, so grouping
    # compares small numbers instead of sets of UUIDs.
    numbered: dict[frozenset[uuid.UUID], int] = {}
    closure_of = {
        p: numbered.setdefault(frozenset(n), len(numbered))
        for p, n in (await closures(uow, projects)).items()
    }
    nodes_by_number = {number: nodes for nodes, number in numbered.items()}
    nowhere = -1
    nodes_by_number[nowhere] = frozenset()
    by_closure: dict[tuple[int, str, str, str], tuple[Measure, int]] = {}
    out = Recomputed(as_of=dict(latest))
    rows: list[tuple[Any, ...]] = []  # repository.TOTAL_COLUMNS; a flow's row counts 1
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
            rows.append((project_id, code, view, period_key, *delta, 1))
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


def _target_state(e: events.TargetSet) -> TargetRow:
    return TargetRow(
        project_id=e.project_id,
        indicator_code=e.indicator_code,
        kind=e.indicator_kind,
        direction=e.direction,
        baseline_value=e.baseline_value,
        baseline_year=e.baseline_year,
        target_value=e.target_value,
        target_date=e.target_date,
    )
