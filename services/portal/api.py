"""The portal's pages: each route checks the session (and CSRF on forms), asks the service
layer for its data and renders a template. Service answers that refuse (403, 422) are
shown on the page, never as a crash."""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from services.portal import services
from services.portal.clients import Services, services_for
from services.portal.config import PortalSettings
from services.portal.domain import formatting, problems
from services.portal.i18n import counted, label, translate
from services.portal.security import same
from services.portal.uow import PortalUnitOfWork
from shared.audit import name_actor
from shared.http import writes
from shared.ratelimit import RateLimiter

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


async def get_uow(request: Request) -> AsyncIterator[PortalUnitOfWork]:
    """The request's unit of work, open from the session check (`user`) to the route's end:
    a writing request checks its user and acts in one transaction, under STAFF_LOCK (ADR 24).
    One that will write takes SQLite's write lock first; a GET takes none."""
    runtime = request.app.state.runtime
    async with PortalUnitOfWork(
        runtime.sessions, source=runtime.settings.service_name, write=writes(request)
    ) as uow:
        yield uow


Uow = Annotated[PortalUnitOfWork, Depends(get_uow)]


async def user(request: Request, uow: Uow) -> services.SignedIn:
    found = await services.signed_in(uow, request.cookies.get(COOKIE))
    if found is None:
        raise NotSignedInError()
    name_actor(f"staff:{found.username}")
    request.state.who = found  # error pages keep the menu and sign-out
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
            "tn": lambda key, count: counted(key, count, language),
            "n": lambda v, places=None: formatting.number(v, language, places),
            "eur": lambda v: formatting.money(v, language),
            "pct": lambda v: formatting.percent(v, language),
            "share": lambda v: formatting.share(v, language),
            "day": lambda v: formatting.day(v, language),
            "at": lambda v: formatting.moment(v, language),
            "delta": lambda v: formatting.change(v, language),
            "lbl": lambda category, code: label(category, code, language),
            "says": lambda detail: problems.readable(detail, language),
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
    uow: Uow,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    limiter: RateLimiter = request.app.state.login_limiter
    client = request.client.host if request.client else "?"
    keys = (f"user:{username}", f"ip:{client}")
    # Only failed attempts count: colleagues behind one office address sign in freely,
    # a password guesser is stopped after the limit for the user name or the address.
    if any(limiter.used(key) for key in keys):
        return page(request, "login.html", None, problem="too_many")
    settings = settings_of(request)
    found = await services.sign_in(uow, username, password, settings.session_minutes)
    if found is None:
        for key in keys:
            limiter.count(key)
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
async def logout(request: Request, uow: Uow, who: User, csrf: Annotated[str, Form()]) -> Response:
    check_csrf(who, csrf)
    await services.sign_out(uow, request.cookies.get(COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.post("/language")
async def language(
    uow: Uow,
    who: User,
    csrf: Annotated[str, Form()],
    lang: Annotated[str, Form()],
    back: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The other language, on the page the user was reading."""
    check_csrf(who, csrf)
    await services.set_language(uow, who.username, lang)
    return RedirectResponse(local(back), status_code=303)


def local(path: str) -> str:
    """A path on this site to go back to (never another site: no `//host` or scheme)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def http_client(settings: PortalSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=settings.service_timeout_s)
