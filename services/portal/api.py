"""The portal's pages: each route checks the session (and CSRF on forms), asks the service
layer for its data and renders a template. Service answers that refuse (403, 422) are
shown on the page, never as a crash."""

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from openpyxl import Workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal import services
from services.portal.clients import ServiceError, Services, services_for
from services.portal.config import PortalSettings
from services.portal.domain import formatting, views
from services.portal.i18n import translate
from services.portal.security import same
from shared.audit import name_actor
from shared.db import writing
from shared.http import writes
from shared.ratelimit import RateLimiter
from shared.spreadsheet import safe_cell, xlsx_cell

COOKIE = "koers_session"
UPLOAD_BYTES = 5_000_000
TEMPLATES = Jinja2Templates(
    directory=str(__import__("pathlib").Path(__file__).parent / "templates")
)
router = APIRouter(include_in_schema=False)


class NotSignedInError(Exception):
    pass


class NotAllowedError(Exception):
    pass


async def db(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request; one that will write takes SQLite's write lock first (ADR 24)."""
    runtime = request.app.state.runtime
    bind = {"bind": writing(runtime.engine)} if writes(request) else {}
    async with runtime.sessions(**bind) as session:
        yield session


Db = Annotated[AsyncSession, Depends(db)]


async def user(request: Request, session: Db) -> services.SignedIn:
    found = await services.signed_in(session, request.cookies.get(COOKIE))
    if found is None:
        raise NotSignedInError()
    name_actor(f"staff:{found.username}")
    return found


User = Annotated[services.SignedIn, Depends(user)]


def settings_of(request: Request) -> PortalSettings:
    settings: PortalSettings = request.app.state.runtime.settings
    return settings


def api(request: Request, who: User) -> Services:
    return services_for(settings_of(request), request.app.state.http, who.username, who.roles)


Api = Annotated[Services, Depends(api)]


def require(who: services.SignedIn, *roles: str) -> None:
    if not who.has(*roles):
        raise NotAllowedError()


def check_csrf(who: services.SignedIn, token: str) -> None:
    if not same(who.csrf, token):
        raise NotAllowedError()


def page(
    request: Request, name: str, who: services.SignedIn | None, **context: Any
) -> HTMLResponse:
    language = who.language if who else request.cookies.get("koers_lang", "nl")
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "user": who,
            "lang": language,
            "t": lambda key: translate(key, language),
            "n": lambda v, places=None: formatting.number(v, language, places),
            "eur": lambda v: formatting.money(v, language),
            "pct": lambda v: formatting.percent(v, language),
            "share": lambda v: formatting.share(v, language),
            "day": lambda v: formatting.day(v, language),
            **context,
        },
    )


# --- signing in and out ---------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    return page(request, "login.html", None, problem=None)


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    session: Db,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    limiter: RateLimiter = request.app.state.login_limiter
    client = request.client.host if request.client else "?"
    if not (limiter.allow(f"user:{username}") and limiter.allow(f"ip:{client}")):
        return page(request, "login.html", None, problem="too_many")
    settings = settings_of(request)
    found = await services.sign_in(session, username, password, settings.session_minutes)
    if found is None:
        return page(request, "login.html", None, problem="bad_login")
    token, _ = found
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.session_minutes * 60,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
    return response


@router.post("/logout")
async def logout(
    request: Request, session: Db, who: User, csrf: Annotated[str, Form()]
) -> Response:
    check_csrf(who, csrf)
    await services.sign_out(session, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.post("/language")
async def language(
    session: Db, who: User, csrf: Annotated[str, Form()], lang: Annotated[str, Form()]
) -> Response:
    check_csrf(who, csrf)
    await services.set_language(session, who.username, lang)
    return RedirectResponse("/", status_code=303)


# --- the programme, its goals and projects --------------------------------------------------


@router.get("/", response_class=HTMLResponse)
async def overview(
    request: Request, who: User, api: Api, programme: str | None = None
) -> HTMLResponse:
    found = await services.programmes(api)
    if not found:
        return page(request, "overview.html", who, programmes=[], data=None)
    chosen = programme or _programme_with_projects(found)
    data = await services.overview(api, chosen, who.language)
    return page(request, "overview.html", who, programmes=found, data=data)


def _programme_with_projects(found: list[dict[str, Any]]) -> str:
    """The earliest programme; the demo's 2016-2019 one holds the case projects."""
    return str(sorted(found, key=lambda p: p["period_start"])[0]["id"])


@router.get("/goals/{goal_id}", response_class=HTMLResponse)
async def goal(request: Request, goal_id: str, who: User, api: Api) -> HTMLResponse:
    return page(request, "goal.html", who, **await services.goal_page(api, goal_id, who.language))


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def project(request: Request, project_id: str, who: User, api: Api) -> HTMLResponse:
    data = await services.project_page(api, project_id, who.language)
    return page(request, "project.html", who, **data)


# --- review ---------------------------------------------------------------------------------


@router.get("/review", response_class=HTMLResponse)
async def review(request: Request, who: User, api: Api, done: str | None = None) -> HTMLResponse:
    require(who, "programme_manager")
    return page(
        request, "review.html", who, queue=await services.review_queue(api), done=done, problem=None
    )


@router.post("/review/{report_id}", response_class=HTMLResponse)
async def decide(
    request: Request,
    report_id: str,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    decision: Annotated[str, Form(pattern="^(approve|return)$")],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    require(who, "programme_manager")
    check_csrf(who, csrf)
    body = {"decision": decision, **({"reason": reason} if reason.strip() else {})}
    try:
        await api.send("POST", "kpi", f"/v1/reports/{report_id}/review", body)
    except ServiceError as exc:
        queue, programmes = await asyncio.gather(
            services.review_queue(api), services.programmes(api)
        )
        return page(
            request,
            "review.html",
            who,
            queue=queue,
            done=None,
            problem=exc.detail,
            programmes=programmes,
        )
    return RedirectResponse(f"/review?done={decision}", status_code=303)


@router.post("/review/locks", response_class=HTMLResponse)
async def lock(
    request: Request,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    programme_id: Annotated[str, Form()],
    period: Annotated[str, Form(max_length=7)],
    project_id: Annotated[str, Form()] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Lock a programme's period, or (with a project and a reason) grant an exception."""
    require(who, "programme_manager")
    check_csrf(who, csrf)
    try:
        if project_id:
            body = {"project_id": project_id, "period": period, "reason": reason}
            await api.send("POST", "kpi", "/v1/lock-exceptions", body)
        else:
            await api.send(
                "POST", "kpi", "/v1/period-locks", {"programme_id": programme_id, "period": period}
            )
    except ServiceError as exc:
        queue = await services.review_queue(api)
        programmes = await services.programmes(api)
        return page(
            request,
            "review.html",
            who,
            queue=queue,
            done=None,
            problem=exc.detail,
            programmes=programmes,
        )
    return RedirectResponse("/review?done=lock", status_code=303)


# --- data entry -----------------------------------------------------------------------------


@router.get("/upload", response_class=HTMLResponse)
async def upload_form(request: Request, who: User) -> HTMLResponse:
    require(who, "programme_manager")
    return page(request, "upload.html", who, result=None, problems=[], problem=None)


@router.get("/upload/template.csv")
async def upload_template(who: User) -> Response:
    return Response(
        views.template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="koersmonitor-reports.csv"'},
    )


@router.post("/upload", response_class=HTMLResponse, max_body_size=UPLOAD_BYTES + 64 * 1024)
async def upload(
    request: Request,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    """Every row checked by the same intake path as the API; valid rows are accepted."""
    require(who, "programme_manager")
    check_csrf(who, csrf)
    content = await file.read(UPLOAD_BYTES + 1)
    try:
        if len(content) > UPLOAD_BYTES:
            raise views.UploadError("the file is larger than 5 MB")
        parsed = views.parse_upload(content, file.filename or "upload.csv")
        if not parsed.items:
            raise views.UploadError("the file has no rows")
    except views.UploadError as exc:
        return page(request, "upload.html", who, result=None, problems=[], problem=str(exc))
    result = await api.send("POST", "kpi", "/v1/reports/batch", {"reports": parsed.items})
    problems = views.row_problems(parsed, result)
    return page(request, "upload.html", who, result=result, problems=problems, problem=None)


# --- exports --------------------------------------------------------------------------------


@router.get("/exports", response_class=HTMLResponse)
async def exports(request: Request, who: User, api: Api) -> HTMLResponse:
    return page(request, "exports.html", who, programmes=await services.programmes(api))


@router.get("/exports/eu/{programme_id}/{fund}.{fmt}")
async def eu_export(programme_id: str, fund: str, fmt: str, who: User, api: Api) -> Response:
    if fmt not in ("csv", "xlsx") or fund not in ("efro", "jtf"):
        raise NotAllowedError()
    response = await api.call(
        "GET", "funding", f"/v1/programmes/{programme_id}/eu-reports/{fund}", params={"format": fmt}
    )
    return Response(
        response.content,
        media_type=response.headers["content-type"],
        headers={"Content-Disposition": response.headers.get("content-disposition", "attachment")},
    )


@router.get("/exports/overview/{programme_id}.{fmt}")
async def overview_export(programme_id: str, fmt: str, who: User, api: Api) -> Response:
    """Per programme line and output: realised, approved, target; and its money per fund."""
    data = await services.overview(api, programme_id, who.language)
    rows: list[list[Any]] = [
        ["line", "kind", "name", "realised / allocated", "approved / committed", "target / paid"]
    ]
    for line in data["lines"]:
        for o in line.outputs:
            rows.append(
                [line.goal["code"], "output", o.indicator, o.realised, o.approved, o.target]
            )
        for m in line.money:
            rows.append(
                [line.goal["code"], "money", m["fund"], m["allocated"], m["committed"], m["paid"]]
            )
    name = f"programme-overview.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows([["" if v is None else safe_cell(v) for v in r] for r in rows])
        body, media = out.getvalue().encode(), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for r in rows:
            sheet.append([float(v) if _is_number(v) else xlsx_cell(v) for v in r])
        buffer = io.BytesIO()
        book.save(buffer)
        body, media = (
            buffer.getvalue(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise NotAllowedError()
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, str) or value.replace(".", "", 1).lstrip("-").isdigit()


# --- notifications --------------------------------------------------------------------------


@router.get("/notifications", response_class=HTMLResponse)
async def notifications(request: Request, who: User, api: Api) -> HTMLResponse:
    feed = await services._optional(api.get("notifications", "/v1/feed", language=who.language), [])
    return page(request, "notifications.html", who, feed=feed)


@router.post("/notifications/{delivery_id}/read")
async def read(delivery_id: str, who: User, api: Api, csrf: Annotated[str, Form()]) -> Response:
    check_csrf(who, csrf)
    await api.send("POST", "notifications", f"/v1/feed/{delivery_id}/read")
    return RedirectResponse("/notifications", status_code=303)


# --- administration -------------------------------------------------------------------------


@router.get("/admin", response_class=HTMLResponse)
async def admin(request: Request, session: Db, who: User, api: Api) -> HTMLResponse:
    require(who)
    return page(
        request, "admin.html", who, **await _admin_data(session, api), issued=None, problem=None
    )


async def _admin_data(session: AsyncSession, api: Services) -> dict[str, Any]:
    organisations, keys = await asyncio.gather(
        api.get("projects", "/v1/organisations", limit=500), api.get("kpi", "/v1/api-keys")
    )
    return {
        "users": await services.users(session),
        "organisations": organisations["data"],
        "keys": keys,
        "roles": services.ROLES,
    }


async def _admin_page(
    request: Request,
    session: AsyncSession,
    who: services.SignedIn,
    api: Services,
    problem: Any,
    issued: Any = None,
) -> HTMLResponse:
    data = await _admin_data(session, api)
    return page(request, "admin.html", who, **data, issued=issued, problem=problem)


async def _admin_outcome(
    request: Request, session: AsyncSession, who: services.SignedIn, api: Services, problem: Any
) -> Response:
    """Back to the administration page: with the problem shown, or fresh after a success."""
    if problem:
        return await _admin_page(request, session, who, api, problem)
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/users", response_class=HTMLResponse)
async def add_user(
    request: Request,
    session: Db,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    roles: Annotated[list[str], Form()],
) -> Response:
    require(who)
    check_csrf(who, csrf)
    problem = await services.create_user(session, username, password, roles)
    return await _admin_outcome(request, session, who, api, problem)


@router.post("/admin/users/{username}/active", response_class=HTMLResponse)
async def user_active(
    request: Request,
    username: str,
    session: Db,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    active: Annotated[bool, Form()],
) -> Response:
    require(who)
    check_csrf(who, csrf)
    problem = await services.set_active(session, username, active, who.username)
    return await _admin_outcome(request, session, who, api, problem)


@router.post("/admin/keys", response_class=HTMLResponse)
async def issue_key(
    request: Request,
    session: Db,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    organisation_id: Annotated[str, Form()],
    name: Annotated[str, Form(min_length=1, max_length=200)],
) -> HTMLResponse:
    """The key is shown once, on this page; the KPI service keeps only its hash."""
    require(who)
    check_csrf(who, csrf)
    problem, issued = None, None
    try:
        issued = await api.send(
            "POST", "kpi", "/v1/api-keys", {"organisation_id": organisation_id, "name": name}
        )
    except ServiceError as exc:
        problem = exc.detail
    return await _admin_page(request, session, who, api, problem, issued)


@router.post("/admin/organisations", response_class=HTMLResponse)
async def add_organisation(
    request: Request,
    session: Db,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    kind: Annotated[str, Form(max_length=40)],
) -> Response:
    require(who)
    check_csrf(who, csrf)
    problem = None
    try:
        await api.send("POST", "projects", "/v1/organisations", {"name": name, "kind": kind})
    except ServiceError as exc:
        problem = exc.detail
    return await _admin_outcome(request, session, who, api, problem)


@router.post("/admin/keys/{key_id}/revoke")
async def revoke_key(key_id: str, who: User, api: Api, csrf: Annotated[str, Form()]) -> Response:
    require(who)
    check_csrf(who, csrf)
    await api.send("DELETE", "kpi", f"/v1/api-keys/{key_id}")
    return RedirectResponse("/admin", status_code=303)


def http_client(settings: PortalSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=settings.service_timeout_s)
