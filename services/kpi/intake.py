"""Report intake: the path every value takes, from the API, the batch API and uploads.

All items of a request are checked against one snapshot of what they refer to
(projects, KPIs, latest versions, locks), loaded in a few queries; valid items are
written with their events in one transaction, so a rejected item changes nothing and
a batch of a thousand costs a handful of round trips.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from services.kpi import restatements
from services.kpi.access import Principal
from services.kpi.domain import distinct
from services.kpi.domain import restatements as late_data
from services.kpi.domain.distinct import CountedOnce
from services.kpi.domain.errors import (
    InvalidKpiInputError,
    NotYourProjectError,
    PeriodLockedError,
    RegistryNotYetAppliedError,
)
from services.kpi.domain.indicators import Indicator, ReportedValue
from services.kpi.domain.kinds import kind_of, value_problems
from services.kpi.domain.periods import Frequency, Period, PeriodError
from services.kpi.domain.plausibility import Thresholds, value_flags
from services.kpi.models import Report
from services.kpi.reference import Reference
from services.kpi.repository import KpiRule, ProjectFacts, ReportRow
from services.kpi.schemas import ReportAccepted, ReportIn
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import kpi as events
from shared.errors import FieldProblem
from shared.ids import new_uuid

Cell = tuple[uuid.UUID, str, str, str]  # project, indicator, period, dimension key

# Named locks (ADR 24), taken shared by intake, exclusively by what changes what it checks.
PERIOD_LOCKS = "kpi.period-locks"  # period locks and lock exceptions


def reports_lock(project_id: uuid.UUID) -> str:
    """A project's report versions as intake reads them: a review takes it exclusively, so it
    decides on the latest version and a revision sees the approval it follows."""
    return f"kpi.reports:{project_id}"


Outcome = Literal["submitted", "revised", "unchanged"]


def dimension_key(disaggregation: dict[str, str] | None) -> str:
    if not disaggregation:
        return ""
    return ";".join(f"{k}={v}" for k, v in sorted((disaggregation or {}).items()))


ReportLike = Report | ReportRow
_ANSWER_FIELDS = tuple(name for name in ReportAccepted.model_fields if name != "outcome")
assert ReportRow._fields == _ANSWER_FIELDS, "a new version is written and answered as it is"


@dataclass
class IntakeContext:
    """What a request's items refer to, loaded once."""

    reference: Reference  # projects, members, KPIs, catalogue, locks
    reportable: set[uuid.UUID] | None  # the caller's projects; None = any
    latest: dict[Cell, ReportLike]
    approved: set[Cell]  # cells with an approved version: changes need a reason
    today: date
    lock_after_days: int | None
    now: datetime  # when the request's reports are submitted
    thresholds: Thresholds = field(default_factory=Thresholds)
    identifier_secret: bytes = b""  # keys the hashes of listed identifiers (domain.distinct)
    # an unknown project may be one the registry replica has yet to apply (409, not 422)
    registry_settling: bool = False
    realised: dict[tuple[uuid.UUID, str], Decimal | None] = field(default_factory=dict)
    # EU transmissions a report may restate, and the restatements to announce (ADR 30)
    transmitted: list[late_data.Transmitted] = field(default_factory=list)
    restating: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)


async def load_context(
    uow: KpiUnitOfWork,
    principal: Principal,
    items: list[ReportIn],
    today: date,
    lock_after_days: int | None,
    thresholds: Thresholds | None = None,
    identifier_secret: bytes = b"",
    registry_settling: Callable[[], Awaitable[bool]] | None = None,
) -> IntakeContext:
    await uow.lock(PERIOD_LOCKS, shared=True)  # no period is locked while its reports go in
    reference = await uow.reference()
    projects = {ref: p for ref in {i.project for i in items} if (p := reference.project(ref))}
    await uow.lock(*(reports_lock(p.id) for p in projects.values()), shared=True)
    cells = [
        (p.id, i.indicator, i.period.strip(), dimension_key(i.disaggregation))
        for i in items
        if (p := projects.get(i.project))
    ]
    # the previous period of each cell too, for the plausibility check
    latest, approved = await uow.reports.cell_states([*cells, *map(_previous_cell, cells)])
    return IntakeContext(
        reference=reference,
        reportable=_reportable(principal, projects.values(), reference),
        latest=dict(latest),
        approved=approved,
        today=today,
        lock_after_days=lock_after_days,
        now=uow.now,
        thresholds=thresholds or Thresholds(),
        identifier_secret=identifier_secret,
        realised=await uow.projection.realised({c[:2] for c in cells}),
        transmitted=await restatements.transmitted(
            uow, {p.programme_id for p in projects.values()}
        ),
        registry_settling=await _settling(registry_settling, projects, items),
    )


def _reportable(
    principal: Principal, projects: Iterable[ProjectFacts], reference: Reference
) -> set[uuid.UUID] | None:
    """The projects the caller may report for (None: any, as programme staff)."""
    if principal.reports_for_any_project:
        return None
    organisation = principal.organisation_id
    return {p.id for p in projects if (p.id, organisation) in reference.members}


async def _settling(
    registry_settling: Callable[[], Awaitable[bool]] | None,
    projects: dict[str, ProjectFacts],
    items: list[ReportIn],
) -> bool:
    """Whether an unknown project may yet be applied here (asked only when one is)."""
    unknown = len(projects) < len({i.project for i in items})
    return bool(registry_settling and unknown and await registry_settling())


def _previous_cell(cell: Cell) -> Cell:
    return (cell[0], cell[1], _previous_period(cell[2]), cell[3])


@lru_cache(maxsize=1024)
def _previous_period(text: str) -> str:
    """Worked out once per distinct text (a batch asks it for every item, twice)."""
    try:
        return str(_parse_period(text).previous())
    except PeriodError:
        return text  # a period that does not parse is refused by the item's own check


def check_item(
    ctx: IntakeContext, principal: Principal, item: ReportIn
) -> tuple[ReportLike, Outcome, Indicator]:
    """Validate one item against the context; raise the error a caller should see."""
    project, indicator, kpi = _resolve(ctx, item)
    period, problems = _period(item, kpi, project)
    problems += value_problems(
        indicator,
        ReportedValue(
            value=item.value,
            numerator=item.numerator,
            denominator=item.denominator,
            text=item.comment,  # the text itself, for a kind reported as text
        ),
    )
    hashes, listed = identifier_hashes(ctx.identifier_secret, indicator, item)
    problems += listed
    if set(item.disaggregation or {}) != set(kpi.dimensions):
        wanted = ", ".join(kpi.dimensions) or "none"
        problems.append(
            FieldProblem(("body", "disaggregation"), f"this KPI is disaggregated by: {wanted}")
        )
    if problems:
        raise InvalidKpiInputError(problems)
    assert period is not None
    _check_lock(ctx, project, period)
    return (
        *_new_version(ctx, principal, project, item, str(period), kpi, indicator, hashes),
        indicator,
    )


def _resolve(ctx: IntakeContext, item: ReportIn) -> tuple[ProjectFacts, Indicator, KpiRule]:
    """The item's project, indicator and the project's KPI, or the error to answer."""
    project = ctx.reference.project(item.project)
    indicator = ctx.reference.indicators.get(item.indicator)
    if project is None and ctx.registry_settling:
        raise RegistryNotYetAppliedError(item.project)
    problems = []
    if project is None:
        problems.append(FieldProblem(("body", "project"), f"unknown project {item.project!r}"))
    if indicator is None:
        problems.append(
            FieldProblem(("body", "indicator"), f"unknown indicator {item.indicator!r}")
        )
    if project is None or indicator is None:
        raise InvalidKpiInputError(problems)
    if ctx.reportable is not None and project.id not in ctx.reportable:
        raise NotYourProjectError(project.code)
    kpi = ctx.reference.kpis.get((project.id, indicator.code))
    if kpi is None:
        raise InvalidKpiInputError.single(
            ("body", "indicator"), f"project {project.code} does not report {indicator.code}"
        )
    return project, indicator, kpi


def identifier_hashes(
    secret: bytes, indicator: Indicator, item: ReportIn
) -> tuple[list[str], list[FieldProblem]]:
    """The keyed hashes of the identifiers listed with the value, sorted, or the problems:
    identifiers of the kind the indicator counts once, in their form, as many as the value."""
    given = {"enterprises": item.enterprises, "participants": item.participants}
    wanted = {
        CountedOnce.ENTERPRISE: "enterprises",
        CountedOnce.PARTICIPANT: "participants",
    }.get(indicator.counted_once)  # type: ignore[arg-type]
    problems = [
        FieldProblem(("body", name), f"{indicator.code} does not count {name} once")
        for name, listed in given.items()
        if listed is not None and name != wanted
    ]
    listed = given.get(wanted or "")
    if problems or not listed or indicator.counted_once is None:
        return [], problems
    kind = indicator.counted_once
    found: set[str] = set()
    for index, text in enumerate(listed):
        try:
            found.add(distinct.normalised(kind, text))
        except distinct.IdentifierError as exc:
            problems.append(FieldProblem(("body", wanted or "", index), str(exc)))
    if not problems and item.value != len(found):
        problems.append(
            FieldProblem(
                ("body", "value"),
                f"the value is {item.value} but {len(found)} different {wanted} are listed",
            )
        )
    return sorted(distinct.keyed_hash(kind, i, secret) for i in found), problems


@lru_cache(maxsize=1024)
def _parse_period(text: str) -> Period:
    """Parsed once per distinct text: a batch names a handful of periods a thousand times."""
    return Period.parse(text)


@lru_cache(maxsize=4096)
def _within(period: Period, start: date, end: date) -> bool:
    return period.overlaps(start, end)


def _period(
    item: ReportIn, kpi: KpiRule, project: ProjectFacts
) -> tuple[Period | None, list[FieldProblem]]:
    loc = ("body", "period")
    try:
        period = _parse_period(item.period)
    except PeriodError as exc:
        return None, [FieldProblem(loc, str(exc))]
    if period.frequency != kpi.frequency:
        form = "2024-Q1" if kpi.frequency == Frequency.QUARTERLY else "2024"
        return None, [
            FieldProblem(loc, f"this KPI is reported {kpi.frequency}: use a period like {form}")
        ]
    if not _within(period, project.start_date, project.end_date):
        return None, [
            FieldProblem(
                loc,
                f"{period} lies outside the project ({project.start_date} to {project.end_date})",
            )
        ]
    return period, []


def _check_lock(ctx: IntakeContext, project: ProjectFacts, period: Period) -> None:
    if (project.id, str(period)) in ctx.reference.exceptions:
        return
    if (project.programme_id, str(period)) in ctx.reference.locks:
        raise PeriodLockedError(str(period), "programme staff locked it")
    if ctx.lock_after_days is not None and (ctx.today - period.end).days > ctx.lock_after_days:
        raise PeriodLockedError(
            str(period), f"its reporting window closed {ctx.lock_after_days} days after it ended"
        )


def _same(a: ReportLike, item: ReportIn, hashes: list[str]) -> bool:
    return (a.value, a.numerator, a.denominator, a.comment, a.source_ref) == (
        item.value,
        item.numerator,
        item.denominator,
        item.comment,
        item.source_ref,
    ) and list(a.identifiers) == hashes


def _new_version(
    ctx: IntakeContext,
    principal: Principal,
    project: ProjectFacts,
    item: ReportIn,
    period: str,
    kpi: KpiRule,
    indicator: Indicator,
    hashes: list[str],
) -> tuple[ReportLike, Outcome]:
    cell = (project.id, item.indicator, period, dimension_key(item.disaggregation))
    latest = ctx.latest.get(cell)
    if latest is not None and latest.state != "returned" and _same(latest, item, hashes):
        return latest, "unchanged"  # a plain retry: no second version
    if latest is not None and not item.reason and cell in ctx.approved:
        raise InvalidKpiInputError.single(
            ("body", "reason"), "this period was approved: say why the value changes"
        )
    restating = late_data.restated(
        ctx.transmitted, project.id, item.indicator, _parse_period(period).end
    )
    late_data.check_reason(restating, item.reason)
    report = ReportRow(
        id=new_uuid(),
        project_id=project.id,
        indicator_code=item.indicator,
        period=period,
        dimension_key=cell[3],
        version=(latest.version + 1) if latest else 1,
        value=item.value,
        numerator=item.numerator,
        denominator=item.denominator,
        comment=item.comment,
        source_ref=item.source_ref,
        state="submitted",
        organisation_id=principal.organisation_id,
        submitted_by=principal.actor,
        submitted_at=ctx.now,
        revision_reason=item.reason if latest or restating else None,
        flags=[*_flags(ctx, cell, latest, item, kpi, indicator), *late_data.flags(restating)],
        identifiers=hashes,
    )
    if restating:
        ctx.restating[report.id] = restatements.event_fields(
            report, restating, _counted_value(latest)
        )
    ctx.latest[cell] = report
    return report, "revised" if latest else "submitted"


def _counted_value(row: ReportLike | None) -> Decimal | None:
    return row.value if row is not None and row.state != "returned" else None


def _flags(
    ctx: IntakeContext,
    cell: Cell,
    latest: ReportLike | None,
    item: ReportIn,
    kpi: KpiRule,
    indicator: Indicator,
) -> list[str]:
    """The plausibility flags of a new version (domain.plausibility). Where values add up (a
    flow), the value to date is the realised total as the projection last counted it, with
    this value in place of the cell's counted one (items earlier in the request included)."""
    if item.value is None:
        return []
    to_date = item.value
    if kind_of(indicator.kind).facts.adds_up:
        before = ctx.realised.get(cell[:2]) or Decimal(0)
        to_date = before - (_counted_value(latest) or Decimal(0)) + item.value
        ctx.realised[cell[:2]] = to_date
    return value_flags(
        indicator.kind,
        item.value,
        to_date=to_date,
        target=kpi.target_value,
        previous=_counted_value(ctx.latest.get(_previous_cell(cell))),
        thresholds=ctx.thresholds.of(indicator),
    )


def cell_fields(report: ReportLike, kind: str) -> dict[str, Any]:
    """What identifies a version of a cell in every report event."""
    return {
        "project_id": report.project_id,
        "indicator_code": report.indicator_code,
        "report_id": report.id,
        "indicator_kind": kind,
        "period": report.period,
        "dimension_key": report.dimension_key,
        "version": report.version,
    }


def report_event(
    row: dict[str, Any], indicator: Indicator
) -> tuple[type[events.ReportSubmitted], dict[str, Any]]:
    """The event announcing a new version (`ReportRevised` after the first) as its type
    and fields: the row is checked and typed, so the event is encoded from it directly."""
    fields = {
        **row,
        "report_id": row["id"],
        "indicator_kind": str(indicator.kind),
        "reason": row["revision_reason"],
    }
    return (events.ReportRevised if row["version"] > 1 else events.ReportSubmitted), fields


def accepted(report: ReportLike, outcome: Outcome) -> ReportAccepted:
    """Built without validating again: every field comes from a checked, typed record."""
    return ReportAccepted.model_construct(**accepted_fields(report, outcome))


def accepted_fields(report: ReportLike, outcome: Outcome) -> dict[str, Any]:
    """A `ReportAccepted` as plain fields: a batch answers a thousand of these, encoded
    once as a whole."""
    fields = {name: getattr(report, name) for name in _ANSWER_FIELDS}
    fields["outcome"] = outcome
    return fields


def write(
    uow: KpiUnitOfWork,
    report: ReportRow,
    indicator: Indicator,
    ctx: IntakeContext | None = None,
) -> dict[str, Any]:
    """Queue the new version and its event (and, when it restates an EU transmission, the
    restatement's); return the row, which is also the answer."""
    row = report._asdict()
    uow.reports.add_new(row)
    uow.publish_fields(*report_event(row, indicator))
    if ctx is not None and (restated := ctx.restating.pop(report.id, None)):
        uow.publish_fields(events.RestatementFlagged, restated)
    return row
