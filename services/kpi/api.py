"""The KPI service's REST API: partner intake, staff review and administration, reads."""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import (
    APIRouter,
    Depends,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    status,
)
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from services.kpi import answers, progress, queries, services
from services.kpi.access import Principal, hash_key, looks_like_api_key
from services.kpi.config import KpiSettings
from services.kpi.domain.errors import (
    InvalidKpiInputError,
    RegistryNotYetAppliedError,
    UnknownProjectError,
)
from services.kpi.schemas import (
    AggregatePublic,
    ApiKeyIn,
    ApiKeyIssued,
    ApiKeyPublic,
    BatchIn,
    BatchResult,
    CommentIn,
    CommentPublic,
    DefinitionIn,
    DefinitionPublic,
    EuTotalPublic,
    Freshness,
    IndicatorIn,
    IndicatorPublic,
    IndicatorThresholdsIn,
    LockExceptionIn,
    Page,
    PeriodLockIn,
    ProgrammeLocksPublic,
    ProgressPublic,
    ProjectDirectoryPublic,
    ProjectKpiIn,
    ProjectKpiPublic,
    ReportAccepted,
    ReportIn,
    ReportPublic,
    ReviewIn,
)
from services.kpi.uow import KpiUnitOfWork
from shared.audit import name_actor
from shared.auth import Role, StaffUser, Viewer, current_staff_user, require_roles, unauthorized
from shared.http import writes
from shared.ratelimit import RateLimiter


def get_uow(request: Request) -> KpiUnitOfWork:
    runtime = request.app.state.runtime
    return KpiUnitOfWork(
        runtime.sessions,
        source=runtime.settings.service_name,
        reference=request.app.state.reference,
        write=writes(request),
    )


def get_groups(request: Request) -> services.ReportGroups:
    groups: services.ReportGroups = request.app.state.report_groups
    return groups


Groups = Annotated[services.ReportGroups, Depends(get_groups)]


def settings_of(request: Request) -> KpiSettings:
    settings: KpiSettings = request.app.state.runtime.settings
    return settings


def get_rules(request: Request) -> services.IntakeRules:
    settings: KpiSettings = request.app.state.runtime.settings
    today: Callable[[], date] = request.app.state.today
    return services.IntakeRules(
        today=today(),
        lock_after_days=settings.lock_after_days,
        thresholds=settings.thresholds,
        identifier_secret=settings.identifier_secret,
        registry_settling=request.app.state.registry_settling,
    )


async def unknown_project(request: Request, exc: Exception) -> JSONResponse:
    """A project not known here: 404, unless registry changes are still being applied here
    (it may have been registered a moment ago): then 409 with Retry-After."""
    assert isinstance(exc, UnknownProjectError)
    if await request.app.state.registry_settling():
        late = RegistryNotYetAppliedError(exc.project)
        return JSONResponse(
            status_code=409,
            content={"detail": str(late), **late.detail},
            headers={"Retry-After": str(late.retry_after)},
        )
    return JSONResponse(status_code=404, content={"detail": str(exc)})


class PartnerLimits:
    """Rate limits on partner API keys: per key, and per address (also for wrong keys)."""

    def __init__(self, settings: KpiSettings) -> None:
        self.per_key = RateLimiter(settings.requests_per_key_per_minute)
        self.per_address = RateLimiter(settings.requests_per_address_per_minute)

    def check(self, key: str, limiter: RateLimiter) -> None:
        if not limiter.allow(key):
            raise HTTPException(
                status_code=status.HTTP_429_TOO_MANY_REQUESTS,
                detail="too many requests; slow down",
                headers={"Retry-After": str(limiter.retry_after(key))},
            )


_bearer = HTTPBearer(auto_error=False, description="a partner API key (km_…) or a staff token")


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """A partner organisation by its API key, or a staff user by token."""
    if credentials is not None and looks_like_api_key(credentials.credentials):
        limits: PartnerLimits = request.app.state.partner_limits
        limits.check(f"ip:{request.client.host if request.client else '?'}", limits.per_address)
        key_hash = hash_key(credentials.credentials, settings_of(request).key_secret)
        limits.check(f"key:{key_hash}", limits.per_key)
        keys: services.PartnerKeys = request.app.state.partner_keys
        principal = await keys.principal(key_hash)
        if principal is None:
            raise unauthorized()
        name_actor(principal.name)
        return principal
    return Principal.staff_user(current_staff_user(request, credentials))


Uow = Annotated[KpiUnitOfWork, Depends(get_uow)]
Caller = Annotated[Principal, Depends(current_principal)]
Rules = Annotated[services.IntakeRules, Depends(get_rules)]
Manager = Annotated[StaffUser, Depends(require_roles(Role.PROGRAMME_MANAGER))]
Admin = Annotated[StaffUser, Depends(require_roles(Role.ADMIN))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=200,
        description="Send the same request again with the same key and get the first answer "
        "back, nothing written twice. One rule for single and batch intake: the key is kept "
        "with the answer when the request was accepted, wholly or in part (a batch with at "
        "least one item accepted or unchanged); a request refused whole (a 4xx, or a batch "
        "whose every item was refused) keeps no key, so the corrected request may reuse it. "
        "The same key with another body is a 409. Keys are per partner organisation.",
    ),
]

router = APIRouter(prefix="/v1")


@router.post(
    "/reports",
    status_code=status.HTTP_201_CREATED,
    response_model=ReportAccepted,
    tags=["intake"],
    responses={
        200: {"description": "the same value again: nothing changed", "model": ReportAccepted}
    },
)
async def submit_report(
    item: ReportIn,
    groups: Groups,
    caller: Caller,
    rules: Rules,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Report one value. A new value for a reported cell is a revision (version n+1)."""
    idem = services.Idempotency.of(idempotency_key, item)
    request = services.IntakeRequest(caller, [item], idem, answers.single_answer)
    return answers.single(await groups.submit(request, rules), response)


@router.post("/reports/batch", response_model=BatchResult, tags=["intake"])
async def submit_batch(
    body: BatchIn,
    uow: Uow,
    caller: Caller,
    rules: Rules,
    idempotency_key: IdempotencyKey = None,
    dry_run: Annotated[
        bool,
        Query(
            description="Judge every item exactly as for real and answer the same, but keep "
            "nothing: no report, no event, no Idempotency-Key (a key is neither replayed nor "
            "kept). The ids in the answer are not stored."
        ),
    ] = False,
) -> Any:
    """Up to 1,000 reports, each with its own result; valid ones are accepted when others fail."""
    idem = services.Idempotency.of(idempotency_key, body)
    items = services.parse_items(body.reports)
    request = services.IntakeRequest(caller, items, idem, answers.batch_answer)
    (outcome,) = await services.submit_many(uow, [request], rules, dry_run=dry_run)
    return answers.batch(outcome)


ProjectRef = Annotated[
    str, Path(max_length=100, description="the project's id or its code (any case)")
]


@router.get("/projects", tags=["intake"])
async def project_directory(
    request: Request, uow: Uow, caller: Caller, programme: uuid.UUID | None = None
) -> list[ProjectDirectoryPublic]:
    """The projects you report for (a partner key: its organisation's), with their ids and
    codes, the KPIs each reports and the periods still owed."""
    today: Callable[[], date] = request.app.state.today
    return await queries.project_directory(uow, caller, programme, today())


@router.get("/projects/{project}/reports", tags=["intake"])
async def report_history(
    project: ProjectRef, uow: Uow, caller: Caller, indicator: str | None = None
) -> list[ReportPublic]:
    """Every version of every report of the project, with review state and reasons."""
    return await services.report_history(uow, caller, project, indicator)


@router.get("/reports", tags=["review"])
async def review_queue(
    uow: Uow,
    _: Manager,
    state: Literal["submitted", "approved", "returned"] = "submitted",
    programme: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Page[ReportPublic]:
    """The review queue: reports in a state, oldest first (for programme managers)."""
    return await services.review_queue(uow, state, programme, limit, offset)


@router.get("/freshness", tags=["aggregates"])
async def freshness(request: Request, uow: Uow, _: Viewer) -> Freshness:
    """Whether the totals hold everything accepted, and how many events wait (figures at
    most a second old)."""
    return await services.freshness(uow, request.app.state.freshness)


@router.post("/reports/{report_id}/review", tags=["review"])
async def review_report(
    report_id: uuid.UUID, data: ReviewIn, uow: Uow, user: Manager
) -> ReportPublic:
    return await services.review_report(uow, report_id, data, user)


@router.get("/reports/{report_id}/comments", tags=["review"])
async def report_comments(report_id: uuid.UUID, uow: Uow, caller: Caller) -> list[CommentPublic]:
    """The report's thread between reviewers and the partner (returns' reasons included)."""
    return await services.report_comments(uow, caller, report_id)


@router.post("/reports/{report_id}/comments", status_code=status.HTTP_201_CREATED, tags=["review"])
async def add_report_comment(
    report_id: uuid.UUID, data: CommentIn, uow: Uow, caller: Caller
) -> CommentPublic:
    """A programme manager asks about a report, or its partner answers."""
    return await services.add_report_comment(uow, caller, report_id, data)


@router.get("/indicators", tags=["catalogue"])
async def list_indicators(uow: Uow, _: Caller) -> list[IndicatorPublic]:
    return await services.list_indicators(uow)


@router.post("/indicators", status_code=status.HTTP_201_CREATED, tags=["catalogue"])
async def define_indicator(data: IndicatorIn, uow: Uow, _: Manager) -> IndicatorPublic:
    return await services.define_indicator(uow, data)


@router.get("/indicators/{code}/definitions", tags=["catalogue"])
async def indicator_definitions(code: str, uow: Uow, _: Caller) -> list[DefinitionPublic]:
    """What the indicator meant for which periods: its definitions, oldest first."""
    return await services.indicator_definitions(uow, code)


@router.post(
    "/indicators/{code}/definitions", status_code=status.HTTP_201_CREATED, tags=["catalogue"]
)
async def redefine_indicator(
    code: str, data: DefinitionIn, uow: Uow, user: Manager
) -> DefinitionPublic:
    """A new definition from a quarter's first day: name, unit, EU code, methodology. A new
    unit on data already reported needs a conversion factor or a break in series; totals
    across a break are given per definition instead."""
    return await services.redefine_indicator(uow, code, data, user)


@router.put("/indicators/{code}/plausibility", tags=["catalogue"])
async def set_indicator_thresholds(
    code: str, data: IndicatorThresholdsIn, uow: Uow, _: Manager
) -> IndicatorPublic:
    """When a value is flagged for the reviewer: beyond this % of its target, or this many
    times the previous period's. Null: the programme's setting (KPI_PLAUSIBILITY_*)."""
    return await services.set_indicator_thresholds(uow, code, data)


@router.put("/projects/{project_id}/kpis/{indicator_code}", tags=["catalogue"])
async def set_project_kpi(
    project_id: uuid.UUID, indicator_code: str, data: ProjectKpiIn, uow: Uow, user: Manager
) -> ProjectKpiPublic:
    """Declare that the project reports this indicator, with baseline, targets and frequency."""
    return await services.set_project_kpi(uow, project_id, indicator_code, data, user)


@router.get("/projects/{project}/kpis", tags=["catalogue"])
async def project_kpis(project: ProjectRef, uow: Uow, caller: Caller) -> list[ProjectKpiPublic]:
    return await services.project_kpis(uow, caller, project)


@router.get("/projects/{project}/progress", tags=["aggregates"])
async def project_progress(
    request: Request, project: ProjectRef, uow: Uow, caller: Caller
) -> list[ProgressPublic]:
    """Per KPI: realised against target, the expected value today, and the status."""
    settings = settings_of(request)
    return await progress.project_progress(
        uow, caller, project, settings.thresholds, settings.tolerances
    )


@router.get("/aggregates", tags=["aggregates"])
async def aggregates(
    uow: Uow,
    _: Viewer,
    programme: uuid.UUID | None = None,
    goal: Annotated[
        uuid.UUID | None, Query(description="a goal node; its sub-tree is included")
    ] = None,
    indicator: str | None = None,
    period_from: Annotated[str | None, Query(alias="from", description="2024-Q1 or 2024")] = None,
    period_to: Annotated[str | None, Query(alias="to")] = None,
    approved_only: bool = False,
) -> list[AggregatePublic]:
    """Totals per indicator for a goal node or a whole programme, each project counted once."""
    node = goal or programme
    if node is None:
        raise InvalidKpiInputError.single(("query", "programme"), "give a programme or a goal")
    return await queries.aggregates(uow, node, indicator, period_from, period_to, approved_only)


@router.get("/aggregates/eu", tags=["aggregates"])
async def eu_totals(
    uow: Uow, _: Viewer, programme: uuid.UUID, approved_only: bool = False
) -> list[EuTotalPublic]:
    """Totals by EU common indicator (RCO/RCR) over the projects' indicators that map to them."""
    return await queries.eu_totals(uow, programme, approved_only)


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, tags=["administration"])
async def issue_api_key(request: Request, data: ApiKeyIn, uow: Uow, user: Admin) -> ApiKeyIssued:
    """Issue a key for a partner organisation. The key is in this answer only."""
    return await services.issue_api_key(uow, data, user, settings_of(request).key_secret)


@router.get("/api-keys", tags=["administration"])
async def list_api_keys(
    uow: Uow, _: Admin, organisation: uuid.UUID | None = None
) -> list[ApiKeyPublic]:
    return await services.list_api_keys(uow, organisation)


@router.delete("/api-keys/{key_id}", tags=["administration"])
async def revoke_api_key(key_id: uuid.UUID, uow: Uow, _: Admin) -> ApiKeyPublic:
    return await services.revoke_api_key(uow, key_id)


@router.post("/period-locks", status_code=status.HTTP_204_NO_CONTENT, tags=["review"])
async def lock_period(data: PeriodLockIn, uow: Uow, user: Manager) -> None:
    await services.lock_period(uow, data, user)


@router.post("/lock-exceptions", status_code=status.HTTP_204_NO_CONTENT, tags=["review"])
async def grant_lock_exception(data: LockExceptionIn, uow: Uow, user: Manager) -> None:
    await services.grant_lock_exception(uow, data, user)


@router.get("/programmes/{programme_id}/locks", tags=["review"])
async def programme_locks(programme_id: uuid.UUID, uow: Uow, _: Manager) -> ProgrammeLocksPublic:
    """A programme's locked periods (who, when) and its projects' exceptions (why)."""
    return await services.programme_locks(uow, programme_id)
