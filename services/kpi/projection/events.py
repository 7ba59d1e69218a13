"""Applying a batch of kpi.events.v1 events: cells and targets, then each touched total once."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from services.kpi.domain.kinds import Kind, kind_of
from services.kpi.domain.series import Measure
from services.kpi.projection.fast_path import apply_cell_changes, cell_measures
from services.kpi.projection.progress import update_progress
from services.kpi.projection.totals import recompute
from services.kpi.projection.views import (
    GOAL_TREE,
    NOTHING_AWAITS,
    Cell,
    Options,
    Recomputed,
    awaiting,
)
from services.kpi.repository import (
    Key,
    TargetRow,
    VersionRow,
)
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import kpi as events
from shared.telemetry import tracer


def _submitted_version(e: events.ReportSubmitted) -> VersionRow:
    return VersionRow(
        project_id=e.project_id,
        indicator_code=e.indicator_code,
        period=e.period,
        dimension_key=e.dimension_key,
        version=e.version,
        kind=e.indicator_kind,
        value=e.value,
        numerator=e.numerator,
        denominator=e.denominator,
        comment=e.comment,
        state="submitted",
        flags=e.flags,
    )


async def apply_kpi_events(
    uow: KpiUnitOfWork, batch: Sequence[events.KpiEvent], options: Options
) -> None:
    """Apply a batch of kpi.events.v1 events in order; then update each touched total once.

    Incremental kinds (flows, ratios) take a fast path: a cell's change only moves its own
    period keys (quarter, year and `all`) by the difference of its chosen measure before
    and after. Other kinds (a stock's value carries forward), a cell that loses its last
    counting version, and target changes take the general path that recomputes the
    project's whole series.
    """
    with tracer(__name__).start_as_current_span(
        "kpi aggregate update", attributes={"koers.events": len(batch)}
    ):
        await uow.lock(GOAL_TREE, shared=True)
        await _apply(uow, batch, options)


@dataclass
class _Touched:
    """What a batch did to the cells and targets it names, before the totals follow."""

    before: dict[Cell, list[VersionRow]]
    after: dict[Cell, dict[int, VersionRow]]
    kinds: dict[Key, str] = field(default_factory=dict)
    cells_of: dict[Key, set[Cell]] = field(default_factory=lambda: defaultdict(set))
    general: set[Key] = field(default_factory=set)  # keys whose whole series is recomputed


async def _apply(uow: KpiUnitOfWork, batch: Sequence[events.KpiEvent], options: Options) -> None:
    touched = await _apply_to_cells(uow, batch)
    # each touched cell's counting measures before and after the batch, worked out once
    measures = {
        cell: (cell_measures(touched.before.get(cell, ())), cell_measures(versions.values()))
        for cell, versions in touched.after.items()
        if cell[:2] in touched.cells_of
    }
    fast = _fast_keys(touched, measures)
    slow = (touched.general | set(touched.cells_of)) - fast.keys()
    projects = (await uow.reference()).projects_among({p for p, _ in fast.keys() | slow})
    found = await recompute(uow, slow, projects)
    fast_found = await apply_cell_changes(uow, fast, touched.cells_of, measures, projects)
    for key in fast:  # what awaits review, as a difference: the batch's cells before and after
        fast_found.awaiting[key] = sum(
            (
                awaiting(touched.after[cell].values()) - awaiting(touched.before.get(cell, ()))
                for cell in touched.cells_of[key]
            ),
            NOTHING_AWAITS,
        )
    await update_progress(
        uow,
        fast.keys() | slow,
        Recomputed(kinds=touched.kinds).update(found).update(fast_found),
        projects,
        options,
        # the fast path sees only this batch's cells: its latest period moves only forward
        only_later=fast.keys(),
    )


async def _apply_to_cells(uow: KpiUnitOfWork, batch: Sequence[events.KpiEvent]) -> _Touched:
    """Each event in order on the cell versions and targets it names (queued to commit)."""
    report_events = [e for e in batch if isinstance(e, events.ReportCellEvent)]
    before = await uow.projection.cell_versions({_cell(e) for e in report_events})
    touched = _Touched(before, {c: {v.version: v for v in vs} for c, vs in before.items()})
    changed: dict[tuple[Cell, int], VersionRow] = {}
    for event in batch:
        key = (event.project_id, event.indicator_code)
        if isinstance(event, events.TargetSet):
            uow.projection.put_target(_target_state(event))
            touched.kinds.setdefault(key, event.indicator_kind)
            touched.general.add(key)
        elif isinstance(event, events.ReportCellEvent):
            cell = _cell(event)
            row = _apply_to_cell(event, touched.after.setdefault(cell, {}).get(event.version))
            if row is not None:
                touched.after[cell][event.version] = changed[(cell, event.version)] = row
            if isinstance(event, events.ReportSubmitted) and event.identifiers and row:
                uow.projection.put_identified(row, event.identifiers)
            touched.kinds[key] = event.indicator_kind
            touched.cells_of[key].add(cell)
    uow.projection.put_versions(changed.values())
    return touched


def _fast_keys(
    touched: _Touched, measures: Mapping[Cell, tuple[dict[str, Measure], dict[str, Measure]]]
) -> dict[Key, Kind]:
    """Keys of incremental kinds (flows, ratios) whose cells only changed their measures (none
    stopped counting in a view) and whose target did not change: their difference is all
    that moves. Each with its kind, which names the period keys a cell moves."""
    fast: dict[Key, Kind] = {}
    for key, cells in touched.cells_of.items():
        if key in touched.general:
            continue
        kind = kind_of(touched.kinds[key])
        if kind.incremental and all(measures[c][0].keys() <= measures[c][1].keys() for c in cells):
            fast[key] = kind
    return fast


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
