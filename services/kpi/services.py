"""The KPI service's use cases: intake, review, targets, keys and locks.

HTTP routes call these and nothing else; each validates with the domain rules,
writes with its events in one unit of work and commits once.
"""

import asyncio
import hashlib
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from functools import partial
from typing import Any, TypeVar

from opentelemetry import context as otel_context
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import to_json
from sqlalchemy.exc import IntegrityError, OperationalError

from services.kpi import intake
from services.kpi.access import Principal, hash_key, new_api_key
from services.kpi.domain import definitions
from services.kpi.domain.errors import (
    DuplicateError,
    IdempotencyKeyReusedError,
    InvalidKpiInputError,
    NotYourProjectError,
    RegistryNotYetAppliedError,
    ReviewStateError,
    UnknownProjectError,
    UnknownRecordError,
)
from services.kpi.domain.indicators import IndicatorKind, ReportedValue, value_problems
from services.kpi.domain.periods import Frequency, Period, PeriodError
from services.kpi.domain.plausibility import Thresholds
from services.kpi.models import (
    ApiKey,
    IdempotencyRecord,
    Indicator,
    IndicatorDefinition,
    LockException,
    PeriodLock,
    ProjectKpi,
    Report,
    ReportComment,
)
from services.kpi.reference import indicator_of
from services.kpi.repository import ReportRow
from services.kpi.schemas import (
    ApiKeyIn,
    ApiKeyIssued,
    ApiKeyPublic,
    CommentIn,
    CommentPublic,
    DefinitionIn,
    DefinitionPublic,
    Freshness,
    IndicatorIn,
    IndicatorPublic,
    IndicatorThresholdsIn,
    LockExceptionIn,
    Page,
    PeriodLockIn,
    ProjectKpiIn,
    ProjectKpiPublic,
    ReportAccepted,
    ReportIn,
    ReportPublic,
    ReviewIn,
)
from services.kpi.uow import KpiUnitOfWork
from shared.auth import StaffUser
from shared.contracts import kpi as events
from shared.db import utcnow
from shared.errors import (
    ConflictError,
    DomainError,
    FieldProblem,
    ForbiddenError,
    InvalidInputError,
)
from shared.freshness import FreshnessReport
from shared.metrics import REPORTS
from shared.rounds import Rounds

FIRST_DAY = date(1900, 1, 1)  # the first a definition can be in force from (periods: 1900-)


@dataclass(frozen=True)
class IntakeRules:
    today: date
    lock_after_days: int | None
    thresholds: Thresholds = dataclass_field(default_factory=Thresholds)
    identifier_secret: bytes = b""
    # whether registry changes are still being applied here (unknown projects: 409, retry)
    registry_settling: Callable[[], Awaitable[bool]] | None = None


@dataclass(frozen=True)
class Idempotency:
    """A partner's Idempotency-Key and its request's hash. One rule for single and batch
    intake (as payment APIs do it): the key is kept with the answer when the request was
    accepted, wholly or in part; a request refused whole keeps none, so the corrected one
    may be sent with the same key; the same key with another body is a 409."""

    key: str
    request_hash: str

    @classmethod
    def of(cls, key: str | None, body: BaseModel) -> "Idempotency | None":
        """The body is hashed only when a key is given (a batch body is a thousand items)."""
        if not key:
            return None
        canonical = json.dumps(
            body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), default=str
        )
        return cls(key[:200], hashlib.sha256(canonical.encode()).hexdigest())


@dataclass(frozen=True)
class StoredResponse:
    """An answer as JSON text: the one given the first time an Idempotency-Key was used, or
    a batch's answer (encoded once, for the response and the idempotency record alike)."""

    status_code: int
    content: bytes


Answer = ReportAccepted | StoredResponse


async def _replay(
    uow: KpiUnitOfWork, principal: Principal, idem: Idempotency | None
) -> StoredResponse | None:
    if idem is None:
        return None
    record = await uow.access.idempotency(principal.name, idem.key)
    if record is None:
        return None
    answer = _replayed(record, idem)
    if isinstance(answer, DomainError):
        raise answer
    return answer


async def _replays(
    uow: KpiUnitOfWork, principal: Principal, idems: list[Idempotency | None]
) -> dict[str, IdempotencyRecord]:
    """The records of the keys already used (one query for a whole group)."""
    return await uow.access.idempotency_many(principal.name, [i.key for i in idems if i])


def _replayed(record: IdempotencyRecord, idem: Idempotency) -> StoredResponse | DomainError:
    if record.request_hash != idem.request_hash:
        return IdempotencyKeyReusedError()
    return StoredResponse(record.status_code, record.body.encode())


def _remember(
    uow: KpiUnitOfWork,
    principal: Principal,
    idem: Idempotency | None,
    status: int,
    content: bytes,
) -> None:
    if idem is not None:
        uow.access.add(
            IdempotencyRecord(
                principal=principal.name,
                key=idem.key,
                request_hash=idem.request_hash,
                status_code=status,
                body=content.decode(),
            )
        )


async def _commit(uow: KpiUnitOfWork) -> None:
    try:
        await uow.commit()
    except IntegrityError as exc:
        await uow.rollback()
        raise ConflictError(
            "another request changed the same report at the same moment; retry"
        ) from exc


# --- intake ----------------------------------------------------------------------------------


def key_lock(key_hash: str) -> str:
    """A partner key: reports written with it hold it shared, its revocation exclusively."""
    return f"kpi.api-key:{key_hash}"


class KeyRevokedError(ForbiddenError):
    def __init__(self) -> None:
        super().__init__("this API key was revoked while the request was under way")


async def _revoked_keys(uow: KpiUnitOfWork, principals: list[Principal]) -> set[str]:
    """The partner keys among `principals` revoked by now, asked under their locks: a key
    checked when the request arrived may have been revoked before its reports go in."""
    hashes = sorted({p.key_hash for p in principals if p.key_hash is not None})
    if not hashes:
        return set()
    await uow.lock(*map(key_lock, hashes), shared=True)
    owners = await uow.access.key_owners(hashes)
    return {h for h in hashes if h not in owners or owners[h][1] is not None}


WRITE_ATTEMPTS = 8
T = TypeVar("T")


async def _retrying_clashes(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run a write again when a concurrent request took the same version number first.

    The retry reads the new latest version, so both values are kept, in some order,
    as versions n and n+1; only when clashes persist does the caller get a 409.
    """
    for remaining in range(WRITE_ATTEMPTS - 1, -1, -1):
        try:
            return await attempt()
        except IntegrityError:
            if not remaining:
                raise ConflictError("other requests kept changing the same report; retry") from None
        except OperationalError as exc:
            # SQLite (the embedded default) refuses a reading transaction's upgrade to a
            # write while another connection writes ("database is locked"), without waiting:
            # the request is fine, so try it again shortly. Anything else is an outage.
            if not remaining or "database is locked" not in str(exc):
                raise
            await asyncio.sleep(0.01 * (WRITE_ATTEMPTS - remaining))
    raise AssertionError("unreachable")


async def submit_report(
    groups: "ReportGroups",
    principal: Principal,
    item: ReportIn,
    rules: IntakeRules,
    idem: Idempotency | None,
) -> ReportAccepted | StoredResponse:
    try:
        result = await groups.submit(principal, item, rules, idem)
    except DomainError as exc:
        REPORTS.labels("rejected", _reason(exc)).inc()
        raise
    if isinstance(result, ReportAccepted):
        REPORTS.labels("unchanged" if result.outcome == "unchanged" else "accepted", "").inc()
    return result


@dataclass
class _Waiting:
    principal: Principal
    rules: IntakeRules
    item: ReportIn
    idem: Idempotency | None
    trace: otel_context.Context


class ReportGroups:
    """Group commit: single reports that one caller sends while a transaction of theirs is
    being written wait, then go in together, in one transaction (`shared.rounds`).

    Each report is judged alone, exactly as if it came on its own (its own answer, its own
    error, its own idempotency record, its own event in its own trace); only the reading of
    the context and the commit are shared. Grouping is per caller, so each transaction has
    one actor for the audit trail.
    """

    def __init__(self, uow: Callable[[], KpiUnitOfWork]) -> None:
        self._uow = uow
        self._rounds: Rounds[str, _Waiting, Answer] = Rounds(self._write)

    async def submit(
        self, principal: Principal, item: ReportIn, rules: IntakeRules, idem: Idempotency | None
    ) -> Answer:
        waiting = _Waiting(principal, rules, item, idem, otel_context.get_current())
        return await self._rounds.ask(principal.name, waiting)

    async def _write(self, _: str, group: list[_Waiting]) -> list[Answer | BaseException]:
        attempt = partial(_submit_group, self._uow(), group[0].principal, group, group[0].rules)
        return await _retrying_clashes(attempt)


async def _submit_group(
    uow: KpiUnitOfWork, principal: Principal, group: list[_Waiting], rules: IntakeRules
) -> list[Answer | BaseException]:
    async with uow:
        answers: list[Answer | DomainError | None] = [None] * len(group)
        first_use: dict[str, int] = {}  # an idempotency key used twice within the group
        fresh: list[int] = []
        stored = await _replays(uow, principal, [w.idem for w in group])
        revoked = await _revoked_keys(uow, [w.principal for w in group])
        for index, waiting in enumerate(group):
            idem = waiting.idem
            if waiting.principal.key_hash in revoked:
                answers[index] = KeyRevokedError()
            elif idem is not None and idem.key in stored:
                answers[index] = _replayed(stored[idem.key], idem)
            elif idem is not None and idem.key in first_use:
                continue  # answered below, once the first use has its answer
            else:
                if idem is not None:
                    first_use[idem.key] = index
                fresh.append(index)
        items = [group[i].item for i in fresh]
        ctx = await intake.load_context(
            uow,
            principal,
            items,
            rules.today,
            rules.lock_after_days,
            rules.thresholds,
            rules.identifier_secret,
            rules.registry_settling,
        )
        for index in fresh:
            answers[index] = _one(uow, ctx, principal, group[index])
        for index, waiting in enumerate(group):
            if answers[index] is None and waiting.idem is not None:
                answers[index] = _repeat(
                    group[first_use[waiting.idem.key]],
                    answers[first_use[waiting.idem.key]],
                    waiting,
                )
        await uow.commit()
        return [a for a in answers if a is not None]


def _one(
    uow: KpiUnitOfWork, ctx: intake.IntakeContext, principal: Principal, waiting: _Waiting
) -> Answer | DomainError:
    try:
        report, outcome, indicator = intake.check_item(ctx, principal, waiting.item)
    except DomainError as exc:
        return exc
    if outcome != "unchanged":
        assert isinstance(report, ReportRow)
        uow.next_request()
        token = otel_context.attach(waiting.trace)  # the event continues its request's trace
        try:
            intake.write(uow, report, indicator, ctx)
        finally:
            otel_context.detach(token)
    result = intake.accepted(report, outcome)
    status = 200 if outcome == "unchanged" else 201
    if waiting.idem is not None:
        _remember(uow, principal, waiting.idem, status, result.model_dump_json().encode())
    return result


def _repeat(
    first: _Waiting, answer: Answer | DomainError | None, again: _Waiting
) -> Answer | DomainError:
    """A key used twice in one group: the same body gets the first answer, another a 409."""
    assert first.idem is not None and again.idem is not None and answer is not None
    if first.idem.request_hash != again.idem.request_hash:
        return IdempotencyKeyReusedError()
    if isinstance(answer, ReportAccepted):
        status = 200 if answer.outcome == "unchanged" else 201
        return StoredResponse(status, answer.model_dump_json().encode())
    return answer


REJECTIONS = {403: "forbidden", 409: "conflict", 422: "invalid"}


def _reason(exc: DomainError) -> str:
    """A bounded label for why a report was refused (the metrics' `reason`)."""
    if isinstance(exc, ForbiddenError):
        return "forbidden"
    if isinstance(exc, ConflictError):
        return "conflict"
    return "invalid"


def _count_batch(results: list[dict[str, Any]]) -> None:
    """The batch's outcomes in the metrics, counted first: one increment per label set."""
    counts: Counter[tuple[str, str]] = Counter()
    for r in results:
        if r["status"] < 300:
            unchanged = r["report"]["outcome"] == "unchanged"
            counts["unchanged" if unchanged else "accepted", ""] += 1
        else:
            counts["rejected", REJECTIONS.get(r["status"], str(r["status"]))] += 1
    for (outcome, reason), n in counts.items():
        REPORTS.labels(outcome, reason).inc(n)


async def submit_batch(
    uow: KpiUnitOfWork,
    principal: Principal,
    raw_items: list[dict[str, Any]],
    rules: IntakeRules,
    idem: Idempotency | None,
) -> StoredResponse:
    """Each item is judged alone: valid ones are written together, invalid ones change nothing.

    The answer (a `BatchResult`) comes back as JSON text, encoded once for the response and
    the idempotency record: a thousand results are most of a batch's cost otherwise."""
    return await _retrying_clashes(lambda: _submit_batch(uow, principal, raw_items, rules, idem))


_ITEMS: TypeAdapter[list[ReportIn]] = TypeAdapter(list[ReportIn])


def parse_items(
    raw_items: list[dict[str, Any]],
) -> tuple[list[tuple[int, ReportIn]], dict[int, dict[str, Any]]]:
    """The well-formed items by index, and a 422 result for each malformed one.

    All items are validated in one call; only when some fail is each validated alone, so
    each failure is reported at its own item."""
    try:
        return list(enumerate(_ITEMS.validate_python(raw_items))), {}
    except ValidationError:
        pass
    parsed: list[tuple[int, ReportIn]] = []
    failed: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(raw_items):
        try:
            parsed.append((index, ReportIn.model_validate(raw)))
        except ValidationError as exc:
            errors = [
                {"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors(include_url=False, include_context=False, include_input=False)
            ]
            failed[index] = _result(index, 422, errors=errors)
    return parsed, failed


async def _submit_batch(
    uow: KpiUnitOfWork,
    principal: Principal,
    raw_items: list[dict[str, Any]],
    rules: IntakeRules,
    idem: Idempotency | None,
) -> StoredResponse:
    async with uow:
        if await _revoked_keys(uow, [principal]):
            raise KeyRevokedError()
        if replay := await _replay(uow, principal, idem):
            return replay
        parsed, results = parse_items(raw_items)
        ctx = await intake.load_context(
            uow,
            principal,
            [i for _, i in parsed],
            rules.today,
            rules.lock_after_days,
            rules.thresholds,
            rules.identifier_secret,
            rules.registry_settling,
        )
        for index, item in parsed:
            results[index] = _batch_item(uow, ctx, principal, index, item)
        final = [results[i] for i in sorted(results)]
        accepted = sum(1 for r in final if r["status"] < 300)
        content = to_json(
            {"accepted": accepted, "rejected": len(final) - accepted, "results": final}
        )
        if accepted:  # the one rule (Idempotency): a request refused whole keeps no key
            _remember(uow, principal, idem, 200, content)
        await uow.commit()
        _count_batch(final)
        return StoredResponse(200, content)


def _result(
    index: int,
    status: int,
    report: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A `BatchItemResult` as plain fields."""
    return {"index": index, "status": status, "report": report, "errors": errors}


def _batch_item(
    uow: KpiUnitOfWork, ctx: intake.IntakeContext, principal: Principal, index: int, item: ReportIn
) -> dict[str, Any]:
    try:
        report, outcome, indicator = intake.check_item(ctx, principal, item)
    except InvalidInputError as exc:
        errors = [{"loc": list(p.loc), "msg": p.msg, "type": p.type} for p in exc.problems]
        return _result(index, 422, errors=errors)
    except ForbiddenError as exc:
        return _result(index, 403, errors=[{"loc": ["body", "project"], "msg": str(exc)}])
    except RegistryNotYetAppliedError as exc:
        error = {"loc": ["body", "project"], "msg": str(exc), "retry_after": exc.retry_after}
        return _result(index, 409, errors=[error])
    except ConflictError as exc:
        return _result(index, 409, errors=[{"loc": ["body", "period"], "msg": str(exc)}])
    if outcome != "unchanged":
        assert isinstance(report, ReportRow)
        answer = {**intake.write(uow, report, indicator, ctx), "outcome": outcome}
    else:
        answer = intake.accepted_fields(report, outcome)
    return _result(index, 200 if outcome == "unchanged" else 201, report=answer)


# --- review ----------------------------------------------------------------------------------


async def review_report(
    uow: KpiUnitOfWork, report_id: uuid.UUID, data: ReviewIn, user: StaffUser
) -> ReportPublic:
    if data.decision == "return" and not data.reason:
        raise InvalidKpiInputError.single(
            ("body", "reason"), "say why the report goes back to the partner"
        )
    async with uow:
        report = await uow.reports.get(report_id)
        if report is None:
            raise UnknownRecordError("report", report_id)
        await uow.lock(intake.reports_lock(report.project_id))  # no revision meanwhile
        await uow.session.refresh(report)
        await _check_current(uow, report)
        if report.state != "submitted":
            raise ReviewStateError(
                report.state, "approved" if data.decision == "approve" else "returned"
            )
        indicator = await uow.catalogue.get(report.indicator_code)
        assert indicator is not None
        report.state = "approved" if data.decision == "approve" else "returned"
        report.review_reason = data.reason
        report.reviewed_by = user.username
        report.reviewed_at = utcnow()
        uow.reports.add(report)
        if data.decision == "return":
            uow.reports.add_comment(
                _comment(report.id, Principal.staff_user(user), data.reason, "return")
            )
        common = {**intake.cell_fields(report, indicator.kind), "reviewed_by": user.username}
        if data.decision == "approve":
            uow.publish(events.ReportApproved(**common))
        else:
            uow.publish(events.ReportReturned(**common, reason=data.reason or ""))
        await _commit(uow)
        return ReportPublic.model_validate(report, from_attributes=True)


async def _check_current(uow: KpiUnitOfWork, report: Report) -> None:
    """A review decides on the latest version of its cell; one a revision replaced is 409."""
    cell = (report.project_id, report.indicator_code, report.period, report.dimension_key)
    latest, _ = await uow.reports.cell_states([cell])
    current = latest[cell].version if cell in latest else report.version
    if current != report.version:
        raise ConflictError(
            f"version {report.version} was replaced by version {current}; review that one",
            current_version=current,
        )


def _comment(
    report_id: uuid.UUID, principal: Principal, text: str | None, kind: str = "comment"
) -> ReportComment:
    staff = principal.staff
    return ReportComment(
        report_id=report_id,
        author=staff.username if staff else principal.actor,
        role="staff" if staff else "partner",
        kind=kind,
        text=text or "",
    )


async def _report_in_view(uow: KpiUnitOfWork, principal: Principal, report_id: uuid.UUID) -> Report:
    report = await uow.reports.get(report_id)
    if report is None:
        raise UnknownRecordError("report", report_id)
    await check_readable(uow, principal, report.project_id)
    return report


async def report_comments(
    uow: KpiUnitOfWork, principal: Principal, report_id: uuid.UUID
) -> list[CommentPublic]:
    """The thread between reviewers and the partner, returns' reasons included."""
    async with uow:
        await _report_in_view(uow, principal, report_id)
        return [
            CommentPublic.model_validate(c, from_attributes=True)
            for c in await uow.reports.comments(report_id)
        ]


async def add_report_comment(
    uow: KpiUnitOfWork, principal: Principal, report_id: uuid.UUID, data: CommentIn
) -> CommentPublic:
    """A reviewer asks, the partner answers: staff who review, and the report's partner."""
    if principal.staff is not None and not principal.reports_for_any_project:
        raise ForbiddenError("only programme managers and the project's partners comment")
    async with uow:
        await _report_in_view(uow, principal, report_id)
        comment = _comment(report_id, principal, data.text)
        uow.reports.add_comment(comment)
        await _commit(uow)
        return CommentPublic.model_validate(comment, from_attributes=True)


async def report_history(
    uow: KpiUnitOfWork, principal: Principal, project: uuid.UUID | str, indicator_code: str | None
) -> list[ReportPublic]:
    async with uow:
        project_id = await check_readable(uow, principal, project)
        return [
            ReportPublic.model_validate(r, from_attributes=True)
            for r in await uow.reports.history(project_id, indicator_code)
        ]


async def review_queue(
    uow: KpiUnitOfWork, state: str, programme_id: uuid.UUID | None, limit: int, offset: int
) -> Page[ReportPublic]:
    """Reports in a review state (submitted: waiting for a programme manager), oldest first."""
    async with uow:
        rows, total = await uow.reports.queue(state, programme_id, limit, offset)
    return Page(
        data=[ReportPublic.model_validate(r, from_attributes=True) for r in rows],
        count=total,
        limit=limit,
        offset=offset,
    )


async def freshness(
    uow: KpiUnitOfWork, probe: Callable[[], Awaitable[FreshnessReport]]
) -> Freshness:
    """Whether the totals hold everything accepted (ADR 0028), and when the last event was
    applied here."""
    async with uow:
        last = await uow.reports.last_event_processed_at()
    found = await probe()
    return Freshness(
        last_event_processed_at=last,
        events_waiting=found.events_waiting,
        caught_up=found.caught_up,
        newest_applied_accepted_at=found.newest_applied_accepted_at,
        outbox_backlog=found.outbox_backlog,
        consumer_lag=None if found.lags is None else found.consumer_lag,
        as_of=found.as_of,
    )


async def check_readable(
    uow: KpiUnitOfWork, principal: Principal, project: uuid.UUID | str
) -> uuid.UUID:
    """The project (by id or code, as partner systems know it) if the caller may read it."""
    found = (await uow.reference()).project(str(project))
    if found is None:
        raise UnknownProjectError(project)
    if principal.reads_any_project:
        return found.id
    if principal.organisation_id is None or not await uow.replica.is_member(
        found.id, principal.organisation_id
    ):
        raise NotYourProjectError(found.code)
    return found.id


# --- indicators and project KPIs -------------------------------------------------------------


async def list_indicators(uow: KpiUnitOfWork) -> list[IndicatorPublic]:
    async with uow:
        return [
            IndicatorPublic.model_validate(i, from_attributes=True)
            for i in await uow.catalogue.all()
        ]


async def define_indicator(uow: KpiUnitOfWork, data: IndicatorIn) -> IndicatorPublic:
    async with uow:
        if await uow.catalogue.get(data.code):
            raise DuplicateError("indicator", "code", data.code)
        row = Indicator(**data.model_dump())
        uow.session.add(row)
        await _commit(uow)
        return IndicatorPublic.model_validate(row, from_attributes=True)


async def set_indicator_thresholds(
    uow: KpiUnitOfWork, code: str, data: IndicatorThresholdsIn
) -> IndicatorPublic:
    """An indicator's own plausibility thresholds (null: the programme's setting again);
    new reports are flagged by them, reports already in keep the flags they came with."""
    async with uow:
        row = await uow.catalogue.get(code)
        if row is None:
            raise UnknownRecordError("indicator", code)
        row.plausible_target_percent = data.plausible_target_percent
        row.plausible_jump_factor = data.plausible_jump_factor
        uow.session.add(row)
        await _commit(uow)
        return IndicatorPublic.model_validate(row, from_attributes=True)


def definition_of(row: IndicatorDefinition) -> definitions.Definition:
    return definitions.Definition(
        row.version,
        row.effective_from,
        row.unit,
        IndicatorKind(row.kind),
        row.change,
        row.conversion_factor,
    )


def _first_definition(row: Indicator) -> IndicatorDefinition:
    """The definition an indicator had before its first recorded change: version 1, in
    force for every period before the next."""
    return IndicatorDefinition(
        code=row.code,
        version=1,
        effective_from=FIRST_DAY,
        name_en=row.name_en,
        name_nl=row.name_nl,
        unit=row.unit,
        kind=row.kind,
        eu_code=row.eu_code,
        methodology=row.methodology,
        change=definitions.FIRST,
        defined_by="catalogue",
    )


async def indicator_definitions(uow: KpiUnitOfWork, code: str) -> list[DefinitionPublic]:
    """The indicator's definitions, oldest first (one, version 1, until a change)."""
    async with uow:
        row = await uow.catalogue.get(code)
        if row is None:
            raise UnknownRecordError("indicator", code)
        found = await uow.catalogue.definitions(code) or [_first_definition(row)]
        return [DefinitionPublic.model_validate(d, from_attributes=True) for d in found]


async def redefine_indicator(
    uow: KpiUnitOfWork, code: str, data: DefinitionIn, user: StaffUser
) -> DefinitionPublic:
    """Record a new definition (domain.definitions): the catalogue keeps the latest, the
    periods before it count under the earlier ones."""
    async with uow:
        row = await uow.catalogue.get(code)
        if row is None:
            raise UnknownRecordError("indicator", code)
        history = await uow.catalogue.definitions(code)
        if not history:
            history = [_first_definition(row)]
            uow.catalogue.add_definition(history[0])
        current = definition_of(history[-1])
        change = definitions.Change(
            data.effective_from,
            data.unit or row.unit,
            data.kind or IndicatorKind(row.kind),
            data.conversion_factor,
            data.break_in_series,
        )
        has_data = await uow.reports.any_for_indicator(code)
        if problems := definitions.change_problems(current, change, has_data):
            raise InvalidKpiInputError(problems)
        fields: dict[str, Any] = {
            "name_en": data.name_en or row.name_en,
            "name_nl": data.name_nl or row.name_nl,
            "unit": change.unit,
            "kind": change.kind.value,
            "eu_code": data.eu_code or row.eu_code,
            "methodology": data.methodology or row.methodology,
        }
        new = IndicatorDefinition(
            code=code,
            version=current.version + 1,
            effective_from=data.effective_from,
            change=definitions.kind_of_change(current, change),
            conversion_factor=data.conversion_factor,
            reason=data.reason,
            defined_by=user.username,
            **fields,
        )
        uow.catalogue.add_definition(new)
        for name, value in fields.items():
            setattr(row, name, value)
        row.definition_version = new.version
        uow.session.add(row)
        await _commit(uow)
        return DefinitionPublic.model_validate(new, from_attributes=True)


def _kpi_public(kpi: ProjectKpi) -> ProjectKpiPublic:
    data = kpi.model_dump()
    data["period_targets"] = {k: v for k, v in kpi.period_targets.items()}
    return ProjectKpiPublic.model_validate(data)


async def set_project_kpi(
    uow: KpiUnitOfWork,
    project_id: uuid.UUID,
    indicator_code: str,
    data: ProjectKpiIn,
    user: StaffUser,
) -> ProjectKpiPublic:
    async with uow:
        project = await uow.replica.project(project_id)
        if project is None:
            raise UnknownProjectError(project_id)
        row = await uow.catalogue.get(indicator_code)
        if row is None:
            raise UnknownRecordError("indicator", indicator_code)
        indicator = indicator_of(row)
        _check_targets(indicator, data)
        kpi = await uow.kpis.get(project_id, indicator_code) or ProjectKpi(
            project_id=project_id,
            indicator_code=indicator_code,
            frequency=data.frequency,
            updated_by=user.username,
        )
        for field, value in data.model_dump(exclude={"period_targets"}).items():
            setattr(kpi, field, value)
        kpi.period_targets = {k: str(v) for k, v in data.period_targets.items()}
        kpi.updated_by, kpi.updated_at = user.username, utcnow()
        uow.kpis.add(kpi)
        uow.publish(
            events.TargetSet(
                project_id=project_id,
                indicator_code=indicator_code,
                indicator_kind=indicator.kind,
                direction=indicator.direction,
                frequency=data.frequency,
                dimensions=tuple(data.dimensions),
                baseline_value=data.baseline_value,
                baseline_year=data.baseline_year,
                target_value=data.target_value,
                target_date=data.target_date,
                period_targets=dict(data.period_targets),
                actor=user.username,
            )
        )
        await _commit(uow)
        return _kpi_public(kpi)


def _check_targets(indicator: Any, data: ProjectKpiIn) -> None:
    problems: list[FieldProblem] = []
    for field in ("baseline_value", "target_value"):
        value = getattr(data, field)
        if value is not None:
            problems += [
                FieldProblem(("body", field), p.msg)
                for p in value_problems(indicator, ReportedValue(value=value))
                if indicator.kind.value in {"flow", "stock"}
            ]
    if (data.target_value is None) != (data.target_date is None):
        problems.append(
            FieldProblem(("body", "target_date"), "an end target needs both a value and a date")
        )
    for text in data.period_targets:
        try:
            period = Period.parse(text)
        except PeriodError as exc:
            problems.append(FieldProblem(("body", "period_targets", text), str(exc)))
            continue
        if period.frequency != Frequency(data.frequency):
            problems.append(
                FieldProblem(("body", "period_targets", text), f"periods of a {data.frequency} KPI")
            )
    if problems:
        raise InvalidKpiInputError(problems)


async def project_kpis(
    uow: KpiUnitOfWork, principal: Principal, project: uuid.UUID | str
) -> list[ProjectKpiPublic]:
    async with uow:
        project_id = await check_readable(uow, principal, project)
        return [_kpi_public(k) for k in await uow.kpis.of_project(project_id)]


# --- partner API keys, locks ------------------------------------------------------------------


async def issue_api_key(
    uow: KpiUnitOfWork, data: ApiKeyIn, user: StaffUser, secret: bytes
) -> ApiKeyIssued:
    async with uow:
        if await uow.replica.organisation(data.organisation_id) is None:
            raise InvalidKpiInputError.single(
                ("body", "organisation_id"), f"organisation {data.organisation_id} is not known"
            )
        key = new_api_key()
        row = ApiKey(
            organisation_id=data.organisation_id,
            name=data.name,
            prefix=key[:11],
            key_hash=hash_key(key, secret),
            created_by=user.username,
        )
        uow.access.add(row)
        await _commit(uow)
        return ApiKeyIssued.model_validate({**row.model_dump(), "key": key})


async def list_api_keys(
    uow: KpiUnitOfWork, organisation_id: uuid.UUID | None
) -> list[ApiKeyPublic]:
    async with uow:
        return [
            ApiKeyPublic.model_validate(k, from_attributes=True)
            for k in await uow.access.keys(organisation_id)
        ]


async def revoke_api_key(uow: KpiUnitOfWork, key_id: uuid.UUID) -> ApiKeyPublic:
    async with uow:
        key = await uow.access.key(key_id)
        if key is None:
            raise UnknownRecordError("API key", key_id)
        await uow.lock(key_lock(key.key_hash))  # after the reports under way with it, before more
        key.revoked_at = key.revoked_at or utcnow()
        uow.access.add(key)
        await _commit(uow)
        return ApiKeyPublic.model_validate(key, from_attributes=True)


class PartnerKeys:
    """Partner keys that concurrent requests present are looked up together, one query per
    round (`shared.rounds`). No cache: a round starts only after its requests arrived, so a
    key revoked before a request came is always refused — on every instance."""

    def __init__(self, uow: Callable[[], KpiUnitOfWork]) -> None:
        self._uow = uow
        self._rounds: Rounds[None, str, Principal | None] = Rounds(self._look_up)

    async def principal(self, key_hash: str) -> Principal | None:
        """The organisation a key (as `access.hash_key` gives it) stands for, if valid."""
        return await self._rounds.ask(None, key_hash)

    async def _look_up(self, _: None, key_hashes: list[str]) -> list[Principal | None]:
        async with self._uow() as uow:
            owners = await uow.access.key_owners(key_hashes)
        found = {h: o for h, (o, revoked) in owners.items() if revoked is None}
        return [Principal.partner(found[h], h) if h in found else None for h in key_hashes]


async def lock_period(uow: KpiUnitOfWork, data: PeriodLockIn, user: StaffUser) -> None:
    _parse_period(data.period)
    async with uow:
        await uow.lock(intake.PERIOD_LOCKS)  # after the reports under way, before any more
        if await uow.replica.programme(data.programme_id) is None:
            raise InvalidKpiInputError.single(("body", "programme_id"), "unknown programme")
        if await uow.access.lock(data.programme_id, data.period):
            return
        uow.access.add(
            PeriodLock(programme_id=data.programme_id, period=data.period, locked_by=user.username)
        )
        await _commit(uow)


async def grant_lock_exception(uow: KpiUnitOfWork, data: LockExceptionIn, user: StaffUser) -> None:
    _parse_period(data.period)
    async with uow:
        await uow.lock(intake.PERIOD_LOCKS)  # one row per project and period
        if await uow.replica.project(data.project_id) is None:
            raise InvalidKpiInputError.single(("body", "project_id"), "unknown project")
        if await uow.access.lock_exception(data.project_id, data.period):
            return
        uow.access.add(
            LockException(
                project_id=data.project_id,
                period=data.period,
                reason=data.reason,
                granted_by=user.username,
            )
        )
        await _commit(uow)


def _parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise InvalidKpiInputError.single(("body", "period"), str(exc)) from exc
