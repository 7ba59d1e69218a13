"""Intake use cases: single reports (group-committed), batches, idempotency."""

import asyncio
import hashlib
import json
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
from services.kpi.access import Principal
from services.kpi.domain.errors import (
    IdempotencyKeyReusedError,
    RegistryNotYetAppliedError,
)
from services.kpi.domain.plausibility import Thresholds
from services.kpi.models import (
    IdempotencyRecord,
)
from services.kpi.repository import ReportRow
from services.kpi.schemas import (
    ReportAccepted,
    ReportIn,
)
from services.kpi.services.common import key_lock
from services.kpi.uow import KpiUnitOfWork
from shared.errors import (
    ConflictError,
    DomainError,
    ForbiddenError,
    InvalidInputError,
)
from shared.metrics import REPORTS
from shared.rounds import Rounds


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
        stored = await _replays(uow, principal, [w.idem for w in group])
        revoked = await _revoked_keys(uow, [w.principal for w in group])
        fresh, first_use = _sort_out(group, answers, stored, revoked)
        ctx = await intake.load_context(
            uow,
            principal,
            [group[i].item for i in fresh],
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
                first = first_use[waiting.idem.key]
                answers[index] = _repeat(group[first], answers[first], waiting)
        await uow.commit()
        return [a for a in answers if a is not None]


def _sort_out(
    group: list[_Waiting],
    answers: list[Answer | DomainError | None],
    stored: dict[str, IdempotencyRecord],
    revoked: set[str],
) -> tuple[list[int], dict[str, int]]:
    """Answer what needs no intake (a revoked key, a replay) in `answers`; return the
    requests to take in, and where each idempotency key is first used in the group (a
    second use within it is answered once the first has its answer)."""
    first_use: dict[str, int] = {}
    fresh: list[int] = []
    for index, waiting in enumerate(group):
        idem = waiting.idem
        if waiting.principal.key_hash in revoked:
            answers[index] = KeyRevokedError()
        elif idem is not None and idem.key in stored:
            answers[index] = _replayed(stored[idem.key], idem)
        elif idem is None or idem.key not in first_use:
            if idem is not None:
                first_use[idem.key] = index
            fresh.append(index)
    return fresh, first_use


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
