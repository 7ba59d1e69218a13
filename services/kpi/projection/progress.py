"""Progress rows (realised, expected, status; approved and awaiting review) and the
realised-value events announced from them."""

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence, Set
from decimal import Decimal
from typing import Any

from services.kpi.domain.indicators import Direction, Indicator
from services.kpi.domain.kinds import Kind, kind_of
from services.kpi.domain.progress import Target, progress
from services.kpi.domain.series import (
    ALL,
    ZERO,
    Series,
)
from services.kpi.projection.views import (
    NOTHING_AWAITS,
    SIX_PLACES,
    Awaiting,
    Options,
    Recomputed,
)
from services.kpi.repository import (
    Key,
    ProgressRow,
    ProjectFacts,
    TargetRow,
)
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import kpi as events


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


async def update_progress(
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
        row = _progress_row(
            key, kind_of(kind), found, old, target_state, project, options, key in only_later
        )
        rows.append(row)
        if _announced(old) != tuple(row[name] for name in ANNOUNCED):
            realised_changed.append((key, kind, row))
        if options.announce:
            _announce_status(uow, key, old, row)
    uow.projection.put_progress(rows)
    if options.announce and realised_changed:
        await _announce_realised(uow, realised_changed)


def _progress_row(
    key: Key,
    kind: Kind,
    found: Recomputed,
    old: ProgressRow | None,
    target_state: TargetRow | None,
    project: ProjectFacts,
    options: Options,
    only_later: bool,
) -> dict[str, Any]:
    as_of = found.as_of.get(key)
    if only_later and old and old.as_of:
        as_of = max(d for d in (as_of, old.as_of) if d)
    result = progress(
        kind,
        _current(key, kind, found, old, only_later),
        _target(target_state),
        as_of,
        project.start_date,
        options.tolerances,
    )
    return {
        "project_id": key[0],
        "indicator_code": key[1],
        "realised": _rounded(result.realised),
        "expected": _rounded(result.expected),
        "percent_of_target": _rounded(result.percent_of_target),
        "status": result.status.value if result.status else None,
        "as_of": result.as_of,
        **_review_fields(kind, key, found, old, only_later),
    }


def _current(
    key: Key, kind: Kind, found: Recomputed, old: ProgressRow | None, only_later: bool
) -> Series:
    """The key's current `all` total. A fast-path key whose batch changed no counted measure
    (a review of a version that counts nowhere) keeps the one its progress row holds."""
    if key in found.current or not only_later or old is None or old.realised is None:
        return found.current.get(key, {})
    return {ALL: kind.from_realised(old.realised)}


def _announce_status(
    uow: KpiUnitOfWork, key: Key, old: ProgressRow | None, row: dict[str, Any]
) -> None:
    old_status = old.status if old else None
    if row["status"] and row["status"] != old_status:
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
    kind: Kind, key: Key, found: Recomputed, old: ProgressRow | None, delta: bool
) -> dict[str, Any]:
    """The approved value and what awaits review (their values' sum where values add up),
    for a progress row."""
    if key in found.approved:
        approved = _rounded(kind.realised(found.approved[key]))
    else:  # unchanged in the approved view this batch
        approved = old.approved if old else None
    waiting = found.awaiting.get(key, NOTHING_AWAITS)
    if delta and old is not None:
        waiting += Awaiting(old.pending_reports, old.pending_value or ZERO, old.flagged_reports)
    return {
        "approved": approved,
        "pending_reports": waiting.reports,
        "pending_value": _rounded(waiting.value) if kind.facts.adds_up else None,
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
