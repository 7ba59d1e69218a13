"""Every route of every service needs a signed-in caller unless it is public on purpose, and
each role reaches only what it may; bodies that are too big, too deep or too large a number
are refused with 413 or 422, never a 500."""

import re
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from services.funding.main import create_app as funding_app
from services.kpi.main import create_app as kpi_app
from services.notifications.main import create_app as notifications_app
from services.portal.main import create_app as portal_app
from services.projects.main import create_app as projects_app
from shared.auth import Role
from tests.conftest import AuthHeaders, registry_settings
from tests.integration.funding.harness import funding_settings
from tests.integration.kpi.harness import kpi_settings
from tests.integration.notifications.harness import notifications_settings
from tests.security.apps import api_routes

PUBLIC = {
    "/favicon.ico",  # the portal's icon: browsers ask for it before anyone signs in
    "/healthz",
    "/readyz",
    "/metrics",
    "/login",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/docs/oauth2-redirect",
}
# Reachable by every signed-in staff member, whatever the role: their own feed, reading, and
# their own subscriptions.
ANY_STAFF_WRITES = {
    "/v1/feed/{delivery_id}/read",
    "/v1/feed/read-all",
    "/v1/subscribers/me/subscriptions",
}

Factory = Callable[[str], FastAPI]
APPS: dict[str, Factory] = {
    "projects": lambda url: projects_app(registry_settings(url)),
    "kpi": lambda url: kpi_app(kpi_settings(url)),
    "funding": lambda url: funding_app(funding_settings(url)),
    "notifications": lambda url: notifications_app(notifications_settings(url)),
}


def _path(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path.replace("{fmt}", "csv"))


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, full path) of every route, HEAD aside."""
    return [
        (method, path)
        for path, route in api_routes(app)
        for method in sorted((route.methods or set()) - {"HEAD"})
    ]


@pytest.fixture(params=sorted(APPS))
async def service(
    request: pytest.FixtureRequest, tmp_path: Any
) -> AsyncIterator[tuple[str, FastAPI]]:
    app = APPS[request.param](f"sqlite+aiosqlite:///{tmp_path / 'unmigrated.db'}")
    yield request.param, app
    await app.state.runtime.close()


async def test_every_route_asks_who_is_calling(service: tuple[str, FastAPI]) -> None:
    name, app = service
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x"
    ) as client:
        for method, path in _routes(app):
            if path in PUBLIC:
                continue
            response = await client.request(method, _path(path), json={})
            assert response.status_code == 401, (name, method, path, response.status_code)


async def test_a_viewer_changes_nothing(service: tuple[str, FastAPI], auth: AuthHeaders) -> None:
    name, app = service
    viewer = auth(Role.VIEWER)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x"
    ) as client:
        for method, path in _routes(app):
            if method == "GET" or path in PUBLIC or path in ANY_STAFF_WRITES:
                continue
            response = await client.request(method, _path(path), json={}, headers=viewer)
            # 403 (the role), or 422 where the body is checked before the role is needed:
            # never a change, never a 5xx.
            assert response.status_code in (403, 422), (name, method, path, response.status_code)


async def test_the_portal_sends_strangers_to_the_sign_in_page(tmp_path: Any) -> None:
    from services.portal.config import PortalSettings
    from tests.conftest import JWT_SECRET

    app = portal_app(
        PortalSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}",
            kafka_bootstrap_servers="127.0.0.1:1",
            jwt_secret=JWT_SECRET,
        )
    )
    import asyncio

    from services.portal.main import MIGRATIONS
    from shared.migrations import upgrade

    await asyncio.to_thread(upgrade, MIGRATIONS, f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x"
    ) as client:
        for method, path in _routes(app):
            if path in PUBLIC or path.startswith("/static"):
                continue
            response = await client.request(method, _path(path))
            assert response.status_code in (303, 422), (method, path, response.status_code)
            if response.status_code == 303:
                assert response.headers["location"] == "/login"
        login = await client.get("/login")
        policy = login.headers["content-security-policy"]
        # scripts only from the portal itself (ADR 31): never inline, never another site
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        assert login.headers["x-frame-options"] == "DENY"
    await app.state.runtime.close()


async def test_bad_bodies_are_refused_not_crashed(kpi_db: str, auth: AuthHeaders) -> None:
    app = kpi_app(kpi_settings(kpi_db))
    staff = auth(Role.ADMIN)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x"
    ) as client:
        huge = b'{"reports": [' + b",".join([b'{"x": "' + b"a" * 1000 + b'"}'] * 1100) + b"]}"
        too_big = await client.post(
            "/v1/reports/batch", content=huge, headers={**staff, "content-type": "application/json"}
        )
        assert too_big.status_code == 413
        deep = b"[" * 100_000 + b"]" * 100_000
        nested = await client.post(
            "/v1/reports", content=deep, headers={**staff, "content-type": "application/json"}
        )
        assert nested.status_code == 422 and nested.json()["detail"][0]["loc"] == ["body"]
        for value in ("1e400", "9" * 5000, "NaN"):
            body = '{"project": "P", "indicator": "X", "period": "2020-Q1", "value": ' + value + "}"
            response = await client.post(
                "/v1/reports", content=body, headers={**staff, "content-type": "application/json"}
            )
            assert response.status_code == 422, (
                value[:10],
                response.status_code,
                response.text[:200],
            )
    await app.state.runtime.close()


async def test_partner_keys_are_rate_limited_with_retry_after(
    kpi_db: str, auth: AuthHeaders
) -> None:
    from tests.integration.kpi.harness import kpi_service

    async for kpi in kpi_service(
        kpi_db, requests_per_key_per_minute=3, requests_per_address_per_minute=5
    ):
        kpi.registry.organisation("Lead BV")
        await kpi.deliver()
        issued = await kpi.client.post(
            "/v1/api-keys",
            json={"organisation_id": str(kpi.registry.organisations["Lead BV"]), "name": "CRM"},
            headers=auth(Role.ADMIN),
        )
        partner = {"Authorization": f"Bearer {issued.json()['key']}"}
        codes = [
            (await kpi.client.get("/v1/indicators", headers=partner)).status_code for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]
        limited = await kpi.client.get("/v1/indicators", headers=partner)
        assert 1 <= int(limited.headers["Retry-After"]) <= 60
        wrong = {"Authorization": "Bearer km_" + "x" * 40}
        # the address has used its five attempts: even a wrong key gets 429, not a hint
        assert (await kpi.client.get("/v1/indicators", headers=wrong)).status_code == 429


async def test_keys_tokens_and_secrets_never_reach_the_logs(
    kpi_db: str, notifications_db: str, auth: AuthHeaders, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from tests.integration.kpi.harness import kpi_service
    from tests.integration.notifications.harness import SECRET, notifications_api

    caplog.set_level(logging.DEBUG)
    staff = auth(Role.ADMIN)
    token = staff["Authorization"].split()[1]
    async for kpi in kpi_service(kpi_db):
        kpi.registry.organisation("Lead BV")
        kpi.registry.goal("G")
        kpi.registry.project("P1", lead="Lead BV", goals=["G"])
        await kpi.deliver()
        organisation = str(kpi.registry.organisations["Lead BV"])
        issued = await kpi.client.post(
            "/v1/api-keys", json={"organisation_id": organisation, "name": "CRM"}, headers=staff
        )
        key = issued.json()["key"]
        partner = {"Authorization": f"Bearer {key}"}
        await kpi.client.post(
            "/v1/reports",
            json={"project": "P1", "indicator": "NOPE", "period": "2020-Q1", "value": 1},
            headers=partner,
        )
        await kpi.client.get(
            "/v1/indicators", headers={"Authorization": "Bearer km_wrong" + key[8:]}
        )
    async with notifications_api(notifications_settings(notifications_db)) as service:
        await service.client.post(
            "/v1/subscribers",
            json={
                "kind": "organisation",
                "name": "X",
                "organisation_id": organisation,
                "webhook_url": "ftp://bad",
                "webhook_secret": SECRET,
            },
            headers=staff,
        )
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert caplog.records  # the requests were logged...
    for secret in (key, key[3:], token, SECRET):
        assert secret not in logged  # ...without any key, token or secret
