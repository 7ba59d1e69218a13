"""Composition root: the staff portal's app, its migrations. It has no worker."""

import asyncio
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from services.portal.api import (
    NotAllowedError,
    NotSignedInError,
    http_client,
    page,
    router,
)
from services.portal.clients import ServiceError
from services.portal.config import PortalSettings
from services.portal.i18n import translate
from shared.http import create_service_app
from shared.migrations import upgrade
from shared.ratelimit import RateLimiter
from shared.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).parent / "migrations"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
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
        routers=[router],
        on_close=http.aclose,
    )
    app.state.http = http
    app.state.login_limiter = RateLimiter(settings.login_attempts_per_minute)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.add_exception_handler(NotSignedInError, _to_login)
    app.add_exception_handler(NotAllowedError, _forbidden)
    app.add_exception_handler(ServiceError, _service_error)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    return app


def _to_login(request: Request, _: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


def _forbidden(request: Request, _: Exception) -> HTMLResponse:
    language = request.cookies.get("koers_lang", "nl")
    response = page(
        request, "error.html", None, heading="403", message=translate("forbidden", language)
    )
    response.status_code = 403
    return response


def _service_error(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, ServiceError)
    status = exc.status if exc.status in (403, 404, 409, 422) else 502
    response = page(
        request, "error.html", None, heading=str(status), message=f"{exc.service}: {exc.detail}"
    )
    response.status_code = status
    return response


async def run_worker(settings: PortalSettings, stop: asyncio.Event | None = None) -> None:
    """The portal has no background work; `worker` exits at once (compose runs none)."""


def migrate(settings: PortalSettings) -> None:
    upgrade(MIGRATIONS, settings.database_url)
