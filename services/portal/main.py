"""Composition root: the staff portal's app, its migrations. It has no worker."""

import asyncio
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.portal import services
from services.portal.api import (
    COOKIE,
    NotAllowedError,
    NotSignedInError,
    http_client,
    page,
    router,
)
from services.portal.clients import ServiceError
from services.portal.config import PortalSettings
from services.portal.domain.problems import readable
from services.portal.i18n import translate
from services.portal.routes import admin, data, exports, feed, programme, review, transmissions
from services.portal.uow import PortalUnitOfWork
from shared.http import create_service_app
from shared.migrations import upgrade
from shared.ratelimit import RateLimiter
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"
STATIC = Path(__file__).parent / "static"
# Scripts only from the portal itself, never inline (ADR 31): every page works without them.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def create_app(settings: PortalSettings) -> FastAPI:
    http = http_client(settings)
    app = create_service_app(
        ServiceRuntime.from_settings(settings),
        title="Koersmonitor staff portal",
        description="The programme at a glance, drill-down, review, data entry and administration.",
        routers=[
            router,
            programme.router,
            review.router,
            data.router,
            exports.router,
            transmissions.router,
            feed.router,
            admin.router,
        ],
        on_close=http.aclose,
    )
    app.state.http = http
    app.state.login_limiter = RateLimiter(settings.login_attempts_per_minute)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/favicon.ico", _favicon, include_in_schema=False)
    app.add_exception_handler(NotSignedInError, _to_login)
    app.add_exception_handler(NotAllowedError, _forbidden)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    return app


def _to_login(request: Request, _: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


async def _favicon() -> FileResponse:
    """Browsers ask for /favicon.ico whatever the page says; answer it rather than a 404."""
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon")


def _error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page of the portal: with the menu and sign-out when signed in."""
    who = getattr(request.state, "who", None)
    language = who.language if who else request.cookies.get("koers_lang", "nl")
    response = page(
        request,
        "error.html",
        who,
        heading=translate(HEADINGS.get(status, "error"), language),
        message=message,
        status=status,
    )
    response.status_code = status
    return response


HEADINGS = {403: "forbidden_heading", 404: "not_found_heading", 422: "error", 502: "error"}


def _language(request: Request) -> str:
    who = getattr(request.state, "who", None)
    return str(who.language) if who else request.cookies.get("koers_lang", "nl")


def _forbidden(request: Request, _: Exception) -> HTMLResponse:
    return _error_page(request, 403, translate("forbidden", _language(request)))


def _service_error(request: Request, exc: Exception) -> HTMLResponse:
    """A service's refusal in words; one that is down or failed, as 'try again later'."""
    assert isinstance(exc, ServiceError)
    language = _language(request)
    if exc.status in (403, 404, 409, 422):
        message = (
            translate("not_found", language)
            if exc.status == 404
            else readable(exc.detail, language)
        )
        return _error_page(request, exc.status, message)
    return _error_page(request, 502, translate("unavailable", language))


def _invalid_request(request: Request, exc: Exception) -> HTMLResponse:
    """A bad id in the address is a page not found; a bad field, a sentence naming it."""
    assert isinstance(exc, RequestValidationError)
    language = _language(request)
    errors = list(exc.errors())
    if any(e.get("loc", ("",))[0] == "path" for e in errors):
        return _error_page(request, 404, translate("not_found", language))
    return _error_page(request, 422, readable(errors, language))


async def _signed_in(request: Request) -> None:
    """Who is asking, for a page no route answered (no route, so no `user` dependency ran):
    a 404 keeps the menu and sign-out too."""
    if getattr(request.state, "who", None) is not None or not request.cookies.get(COOKIE):
        return
    try:
        runtime = request.app.state.runtime
        async with PortalUnitOfWork(
            runtime.sessions, runtime.settings.service_name, write=False
        ) as uow:
            request.state.who = await services.signed_in(uow, request.cookies.get(COOKIE))
    except Exception:  # the error page is shown all the same, without the menu
        request.state.who = None


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (404, 405):
        await _signed_in(request)
    language = _language(request)
    if exc.status_code == 404:
        return _error_page(request, 404, translate("not_found", language))
    if exc.status_code == 405:
        return _error_page(request, 405, translate("not_found", language))
    response = _error_page(request, exc.status_code, translate("error", language))
    response.headers.update(exc.headers or {})
    return response


async def run_worker(settings: PortalSettings, stop: asyncio.Event | None = None) -> None:
    """The portal has no background work; `worker` exits at once (compose runs none)."""


def migrate(settings: PortalSettings) -> None:
    upgrade(MIGRATIONS, settings.database_url)
