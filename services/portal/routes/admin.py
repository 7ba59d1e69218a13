"""Administration: staff users and their roles, partner organisations (with the registry's
kinds, named), and partner API keys. A refusal is shown as a sentence on the page."""

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal import pages, services
from services.portal.api import Api, Uow, User, check_csrf, require
from services.portal.clients import ServiceError, Services
from services.portal.domain import problems
from services.portal.i18n import known
from services.portal.uow import PortalUnitOfWork
from services.portal.web import render

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
async def admin(request: Request, uow: Uow, who: User, api: Api) -> HTMLResponse:
    require(who)
    return await _admin_page(request, uow, who, api, None)


async def _admin_data(uow: PortalUnitOfWork, api: Services) -> dict[str, Any]:
    organisations, keys = (
        await pages.optional(api.get("projects", "/v1/organisations", limit=500), {"data": []}),
        await pages.optional(api.get("kpi", "/v1/api-keys"), []),
    )
    return {
        "users": await services.users(uow),
        "organisations": sorted(organisations["data"], key=lambda o: o["name"].lower()),
        "keys": keys,
        "roles": services.ROLES,
        "organisation_kinds": known("organisation_kind"),
    }


async def _admin_page(
    request: Request,
    uow: PortalUnitOfWork,
    who: services.SignedIn,
    api: Services,
    problem: Any,
    issued: Any = None,
    status: int = 200,
) -> HTMLResponse:
    data = await _admin_data(uow, api)
    text = problems.readable(problem, who.language) if problem else None
    response = await render(request, "admin.html", who, api, **data, issued=issued, problem=text)
    response.status_code = status
    return response


async def _admin_outcome(
    request: Request, uow: PortalUnitOfWork, who: services.SignedIn, api: Services, problem: Any
) -> Response:
    """Back to the administration page: with the problem shown, or fresh after a success."""
    if problem:
        return await _admin_page(request, uow, who, api, problem, status=422)
    return RedirectResponse("/admin?done=1", status_code=303)


@router.post("/admin/users", response_class=HTMLResponse)
async def add_user(
    request: Request,
    uow: Uow,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    roles: Annotated[list[str], Form()],
) -> Response:
    require(who)
    check_csrf(who, csrf)
    problem = await services.create_user(uow, username, password, roles)
    return await _admin_outcome(request, uow, who, api, problem)


@router.post("/admin/users/{username}/active", response_class=HTMLResponse)
async def user_active(
    request: Request,
    username: str,
    uow: Uow,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    active: Annotated[bool, Form()],
) -> Response:
    require(who)
    check_csrf(who, csrf)
    problem = await services.set_active(uow, username, active, who.username)
    return await _admin_outcome(request, uow, who, api, problem)


@router.post("/admin/keys", response_class=HTMLResponse)
async def issue_key(
    request: Request,
    uow: Uow,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    organisation_id: Annotated[uuid.UUID, Form()],
    name: Annotated[str, Form(min_length=1, max_length=200)],
) -> HTMLResponse:
    """The key is shown once, on this page; the KPI service keeps only its hash."""
    require(who)
    check_csrf(who, csrf)
    problem, issued = None, None
    try:
        issued = await api.send(
            "POST", "kpi", "/v1/api-keys", {"organisation_id": str(organisation_id), "name": name}
        )
    except ServiceError as exc:
        problem = exc.detail
    return await _admin_page(
        request, uow, who, api, problem, issued, status=422 if problem else 200
    )


@router.post("/admin/organisations", response_class=HTMLResponse)
async def add_organisation(
    request: Request,
    uow: Uow,
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
    return await _admin_outcome(request, uow, who, api, problem)


@router.post("/admin/keys/{key_id}/revoke")
async def revoke_key(
    key_id: uuid.UUID, who: User, api: Api, csrf: Annotated[str, Form()]
) -> Response:
    require(who)
    check_csrf(who, csrf)
    await api.send("DELETE", "kpi", f"/v1/api-keys/{key_id}")
    return RedirectResponse("/admin?done=1", status_code=303)
