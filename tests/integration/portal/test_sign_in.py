"""Signing in to the portal: a whole office behind one address signs in as often as it likes,
while a password guesser is stopped after the limit of failed attempts per minute, also
when the right password follows (issue 22; the login limit in PortalSettings)."""

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from services.portal.api import COOKIE
from services.portal.config import PortalSettings
from services.portal.main import MIGRATIONS
from services.portal.main import create_app as portal_app
from services.portal.security import token_hash
from services.portal.seed import seed_admin
from services.portal.services import signed_in
from services.portal.uow import PortalUnitOfWork
from shared.db import create_engine, session_factory
from shared.migrations import upgrade
from tests.conftest import JWT_SECRET

LIMIT = 5


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}"
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    app = portal_app(
        PortalSettings(
            database_url=url,
            kafka_bootstrap_servers="127.0.0.1:1",
            jwt_secret=JWT_SECRET,
            secure_cookies=False,
            login_attempts_per_minute=LIMIT,
        )
    )
    password = await seed_admin(app.state.runtime)
    assert password is not None  # a fresh database: the admin is new
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://portal"
    ) as client:
        yield client, password
    await app.state.runtime.close()


async def sign_in(client: httpx.AsyncClient, password: str) -> httpx.Response:
    client.cookies.clear()
    return await client.post("/login", data={"username": "admin", "password": password})


async def test_signing_in_often_is_never_refused(
    portal: tuple[httpx.AsyncClient, str],
) -> None:
    client, password = portal
    for _ in range(3 * LIMIT):
        answer = await sign_in(client, password)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/"


async def test_a_password_guesser_is_stopped_even_with_the_right_password(
    portal: tuple[httpx.AsyncClient, str],
) -> None:
    client, password = portal
    for _ in range(LIMIT):
        wrong = await sign_in(client, "not the password")
        assert wrong.status_code == 200
        assert "onjuist wachtwoord" in wrong.text
    stopped = await sign_in(client, password)
    assert stopped.status_code == 200
    assert "Te veel pogingen" in stopped.text
    assert COOKIE not in stopped.cookies


async def test_a_few_mistakes_do_not_lock_anyone_out(
    portal: tuple[httpx.AsyncClient, str],
) -> None:
    client, password = portal
    for _ in range(LIMIT - 1):
        await sign_in(client, "typo")
    answer = await sign_in(client, password)
    assert answer.status_code == 303


async def test_an_expired_session_stops_working_and_goes_at_the_next_sign_in(
    portal: tuple[httpx.AsyncClient, str], tmp_path: Path
) -> None:
    client, password = portal
    assert (await sign_in(client, password)).status_code == 303
    token = client.cookies[COOKIE]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}")
    try:
        async with PortalUnitOfWork(session_factory(engine), "test", write=False) as uow:
            who = await signed_in(uow, token)
        assert who is not None
        switched = await client.post("/language", data={"csrf": who.csrf, "lang": "en"})
        assert switched.headers["location"] == "/"  # the session works
        async with PortalUnitOfWork(session_factory(engine), "test") as uow:
            row = await uow.sessions.get(token_hash(token))
            assert row is not None
            row.expires_at = uow.now - timedelta(minutes=1)
            uow.sessions.add(row)
            await uow.commit()
        refused = await client.post("/language", data={"csrf": who.csrf, "lang": "nl"})
        assert refused.status_code == 303
        assert refused.headers["location"] == "/login"
        assert (await sign_in(client, password)).status_code == 303
        async with PortalUnitOfWork(session_factory(engine), "test", write=False) as uow:
            assert await uow.sessions.get(token_hash(token)) is None  # removed at the sign-in
            admin = await uow.users.by_username("admin")
        assert admin is not None and admin.language == "en"  # the refused request did nothing
    finally:
        await engine.dispose()
