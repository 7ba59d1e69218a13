"""Intake: one path for single reports (group-committed), batches and dry runs.

`submit_many` takes one caller's requests — a batch, or the single reports a group commit
gathered — and gives each its outcome: per item accepted (or unchanged) or the error it
breaks, or the request refused whole, or the answer its Idempotency-Key already holds. It
knows no status codes or JSON: the HTTP edge maps outcomes to them, and hands each request
the function that renders its answer, which is kept with its key as given.
"""

from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from typing import Any

from opentelemetry import context as otel_context
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import IntegrityError

from services.kpi import intake
from services.kpi.access import Principal
from services.kpi.domain.errors import IdempotencyKeyReusedError
from services.kpi.domain.plausibility import Thresholds
from services.kpi.models import IdempotencyRecord
from services.kpi.repository import ReportRow
from services.kpi.schemas import ReportIn
from services.kpi.services.idempotency import (
    Idempotency,
    StoredResponse,
    remember,
    replayed,
    revoked_keys,
)
from services.kpi.uow import KpiUnitOfWork
from shared.errors import (
    ConflictError,
    DomainError,
    FieldProblem,
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
class Accepted:
    """An item taken in — or, in a dry run, one that would be: its new version, or the
    latest one when the value is unchanged. `fields` are a `ReportAccepted`'s, plain."""

    fields: dict[str, Any]

    @property
    def unchanged(self) -> bool:
        return bool(self.fields["outcome"] == "unchanged")


ItemOutcome = Accepted | DomainError
# The HTTP edge's answer to a request's item outcomes, kept with its Idempotency-Key.
Render = Callable[[list[ItemOutcome]], StoredResponse]


@dataclass(frozen=True)
class IntakeRequest:
    """One request: its items (each well-formed, or why not), its key and how it is answered."""

    principal: Principal
    items: list[ReportIn | InvalidInputError]
    idem: Idempotency | None = None
    render: Render | None = None  # needed with a key: the answer the key keeps
    # the request's trace: its events continue it, also when a group commit writes them
    trace: otel_context.Context = dataclass_field(default_factory=otel_context.get_current)

    def __post_init__(self) -> None:
        if self.idem is not None and self.render is None:
            raise ValueError("a request with an Idempotency-Key needs the answer the key keeps")


@dataclass(frozen=True)
class RequestOutcome:
    """What became of a request: refused whole (a revoked key, a key reused with another
    body); or answered already (`answer`: the first answer to its key, with no items); or
    its items' outcomes, with `answer` the answer kept with its key when one was."""

    items: list[ItemOutcome] = dataclass_field(default_factory=list)
    refused: DomainError | None = None
    answer: StoredResponse | None = None


_ITEMS: TypeAdapter[list[ReportIn]] = TypeAdapter(list[ReportIn])


def parse_items(raw_items: Sequence[dict[str, Any]]) -> list[ReportIn | InvalidInputError]:
    """Each item well-formed, or why not (its own 422, at its own fields).

    All items are validated in one call; only when some fail is each validated alone."""
    try:
        return list(_ITEMS.validate_python(raw_items))
    except ValidationError:
        pass
    parsed: list[ReportIn | InvalidInputError] = []
    for raw in raw_items:
        try:
            parsed.append(ReportIn.model_validate(raw))
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=False)
            problems = [FieldProblem(("body", *e["loc"]), e["msg"], e["type"]) for e in errors]
            parsed.append(InvalidInputError(problems))
    return parsed


WRITE_ATTEMPTS = 8


async def submit_many(
    uow: KpiUnitOfWork,
    requests: Sequence[IntakeRequest],
    rules: IntakeRules,
    *,
    dry_run: bool = False,
) -> list[RequestOutcome]:
    """Take in one caller's requests in one transaction; each item is judged alone, as if it
    came on its own: valid ones are written (with their events), invalid ones change nothing.

    A dry run judges every item exactly so and keeps nothing: no report, no event, no
    Idempotency-Key (a key is neither replayed nor kept). A clash on a version number (a
    concurrent request took it first) runs the whole again: the retry reads the new latest
    version, so both values are kept as versions n and n+1; only when clashes persist is
    it a 409."""
    for remaining in range(WRITE_ATTEMPTS - 1, -1, -1):
        try:
            outcomes = await uow.retrying(lambda: _submit_many(uow, requests, rules, dry_run))
        except IntegrityError:
            if not remaining:
                raise ConflictError("other requests kept changing the same report; retry") from None
            continue
        if not dry_run:
            _count(outcomes)
        return outcomes
    raise AssertionError("unreachable")


async def _submit_many(
    uow: KpiUnitOfWork, requests: Sequence[IntakeRequest], rules: IntakeRules, dry_run: bool
) -> list[RequestOutcome]:
    caller = requests[0].principal  # one caller: one actor per transaction (audit trail)
    async with uow:
        revoked = await revoked_keys(uow, [r.principal for r in requests])
        stored = (
            {}
            if dry_run
            else await uow.access.idempotency_many(
                caller.name, [r.idem.key for r in requests if r.idem]
            )
        )
        outcomes: list[RequestOutcome | None] = [None] * len(requests)
        fresh, first_use = _sort_out(requests, outcomes, stored, revoked, dry_run)
        ctx = await intake.load_context(
            uow,
            caller,
            [i for n in fresh for i in requests[n].items if isinstance(i, ReportIn)],
            rules.today,
            rules.lock_after_days,
            rules.thresholds,
            rules.identifier_secret,
            rules.registry_settling,
        )
        for n in fresh:
            outcomes[n] = _take_in(uow, ctx, requests[n], dry_run)
        for n, request in enumerate(requests):
            if outcomes[n] is None and request.idem is not None:
                first = first_use[request.idem.key]
                outcomes[n] = _repeat(requests[first], outcomes[first], request)
        if not dry_run:
            await uow.commit()
        return [o for o in outcomes if o is not None]


def _sort_out(
    requests: Sequence[IntakeRequest],
    outcomes: list[RequestOutcome | None],
    stored: dict[str, IdempotencyRecord],
    revoked: set[str],
    dry_run: bool,
) -> tuple[list[int], dict[str, int]]:
    """Answer what needs no intake (a revoked key, a replay) in `outcomes`; return the
    requests to take in, and where each idempotency key is first used among them (a second
    use is answered once the first has its outcome)."""
    first_use: dict[str, int] = {}
    fresh: list[int] = []
    for n, request in enumerate(requests):
        idem = None if dry_run else request.idem
        if request.principal.key_hash in revoked:
            outcomes[n] = RequestOutcome(refused=KeyRevokedError())
        elif idem is not None and idem.key in stored:
            first = replayed(stored[idem.key], idem)
            outcomes[n] = (
                RequestOutcome(answer=first)
                if isinstance(first, StoredResponse)
                else RequestOutcome(refused=first)
            )
        elif idem is None or idem.key not in first_use:
            if idem is not None:
                first_use[idem.key] = n
            fresh.append(n)
    return fresh, first_use


def _take_in(
    uow: KpiUnitOfWork, ctx: intake.IntakeContext, request: IntakeRequest, dry_run: bool
) -> RequestOutcome:
    if not dry_run:
        uow.next_request()  # this request's events continue its own trace
    token = otel_context.attach(request.trace)
    try:
        items = [_item(uow, ctx, request.principal, item, dry_run) for item in request.items]
    finally:
        otel_context.detach(token)
    answer = None
    if (
        not dry_run
        and request.idem is not None
        and request.render is not None
        and any(isinstance(i, Accepted) for i in items)  # a request refused whole keeps no key
    ):
        answer = request.render(items)
        remember(uow, request.principal, request.idem, answer)
    return RequestOutcome(items, answer=answer)


def _item(
    uow: KpiUnitOfWork,
    ctx: intake.IntakeContext,
    principal: Principal,
    item: ReportIn | InvalidInputError,
    dry_run: bool,
) -> ItemOutcome:
    if isinstance(item, InvalidInputError):
        return item
    try:
        report, outcome, indicator = intake.check_item(ctx, principal, item)
    except DomainError as exc:
        return exc
    if outcome == "unchanged" or dry_run:
        return Accepted(intake.accepted_fields(report, outcome))
    assert isinstance(report, ReportRow)
    return Accepted({**intake.write(uow, report, indicator, ctx), "outcome": outcome})


def _repeat(
    first: IntakeRequest, outcome: RequestOutcome | None, again: IntakeRequest
) -> RequestOutcome:
    """A key used twice among the requests: the same body gets the first's outcome (so the
    same answer), another body a 409."""
    assert first.idem is not None and again.idem is not None and outcome is not None
    if first.idem.request_hash != again.idem.request_hash:
        return RequestOutcome(refused=IdempotencyKeyReusedError())
    return outcome


class KeyRevokedError(ForbiddenError):
    def __init__(self) -> None:
        super().__init__("this API key was revoked while the request was under way")


def _reason(exc: DomainError) -> str:
    """A bounded label for why a report was refused (the metrics' `reason`)."""
    if isinstance(exc, ForbiddenError):
        return "forbidden"
    if isinstance(exc, ConflictError):
        return "conflict"
    return "invalid"


def _count(outcomes: list[RequestOutcome]) -> None:
    """The reports judged, in the metrics (one increment per label set): replays and a key's
    second use are not judged again; a request refused whole counts once."""
    counts: Counter[tuple[str, str]] = Counter()
    for outcome in outcomes:
        if outcome.refused is not None:
            counts["rejected", _reason(outcome.refused)] += 1
        for item in outcome.items:
            if isinstance(item, Accepted):
                counts["unchanged" if item.unchanged else "accepted", ""] += 1
            else:
                counts["rejected", _reason(item)] += 1
    for (label, reason), n in counts.items():
        REPORTS.labels(label, reason).inc(n)


@dataclass
class ReportGroups:
    """Group commit: single reports that one caller sends while a transaction of theirs is
    being written wait, then go in together through `submit_many` (`shared.rounds`).

    Each report is judged alone, exactly as if it came on its own (its own outcome, its own
    idempotency record, its own event in its own trace); only the reading of the context
    and the commit are shared. Grouping is per caller, so each transaction has one actor
    for the audit trail.
    """

    uow: Callable[[], KpiUnitOfWork]
    _rounds: Rounds[str, tuple[IntakeRequest, IntakeRules], RequestOutcome] = dataclass_field(
        init=False
    )

    def __post_init__(self) -> None:
        self._rounds = Rounds(self._write)

    async def submit(self, request: IntakeRequest, rules: IntakeRules) -> RequestOutcome:
        return await self._rounds.ask(request.principal.name, (request, rules))

    async def _write(
        self, _: str, group: list[tuple[IntakeRequest, IntakeRules]]
    ) -> list[RequestOutcome]:
        return await submit_many(self.uow(), [r for r, _ in group], group[0][1])
