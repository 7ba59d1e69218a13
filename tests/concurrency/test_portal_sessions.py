"""A staff user switched off while signed in stops working, and usernames stay unique, when
the portal's requests arrive together at two portal processes (issue 25), on SQLite and
PostgreSQL.

Admins in a ring each switch the next one off, all at the same moment. Had the requests run
one after another, an admin switched off before their own request is refused (sent to the
sign-in page), so the ring can never switch everyone off: whoever is still active is exactly
those whose predecessor was refused.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlencode

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal import services
from services.portal.models import User, WebSession
from services.portal.security import hash_password
from services.portal.uow import PortalUnitOfWork
from shared.db import create_engine, session_factory, writing
from tests.concurrency.conftest import PortalRace
from tests.concurrency.harness import Answer, Call, race, record_figures

N = 6
PASSWORD = "correct horse battery"
COOKIE = "koers_session"
TO_LOGIN = "/login"


@asynccontextmanager
async def portal_db(portal: PortalRace) -> AsyncIterator[AsyncSession]:
    engine = create_engine(portal.url)
    try:
        async with session_factory(writing(engine))() as session:
            yield session
    finally:
        await engine.dispose()


@asynccontextmanager
async def portal_uow(portal: PortalRace) -> AsyncIterator[PortalUnitOfWork]:
    """A writing unit of work on the portal's database, as a POST request has."""
    engine = create_engine(portal.url)
    try:
        async with PortalUnitOfWork(session_factory(engine), "test") as uow:
            yield uow
    finally:
        await engine.dispose()


async def _signed_in_admins(portal: PortalRace, count: int) -> list[tuple[str, str, str]]:
    """`count` new admins, each signed in: (username, session token, CSRF token)."""
    names = [f"admin-{uuid.uuid4().hex[:8]}" for _ in range(count)]
    password_hash = hash_password(PASSWORD)
    signed = []
    async with portal_uow(portal) as uow:
        for name in names:
            uow.users.add(User(username=name, password_hash=password_hash, roles=["admin"]))
        await uow.commit()
        for name in names:
            found = await services.sign_in(uow, name, PASSWORD, minutes=60)
            assert found is not None
            signed.append((name, found[0], found[1].csrf))
    return signed


def _form(token: str, path: str, **fields: str) -> Call:
    headers = {"Cookie": f"{COOKIE}={token}", "Content-Type": "application/x-www-form-urlencoded"}
    return Call("POST", path, urlencode(fields), headers)


def _outcome(answer: Answer) -> str:
    """Done, or refused because the sender is no longer signed in; nothing else."""
    assert answer.status == 303, answer
    assert answer.location and answer.location.startswith(("/admin", TO_LOGIN)), answer
    return "refused" if answer.location == TO_LOGIN else "done"


def _figures(rule: str, portal: PortalRace, outcomes: list[str], reason: str) -> None:
    done = outcomes.count("done")
    record_figures(
        {
            "rule": rule,
            "database": portal.database,
            "instances": len(portal.servers.ports),
            "sent": len(outcomes),
            "accepted": done,
            "refused": len(outcomes) - done,
            "statuses": {o: outcomes.count(o) for o in sorted(set(outcomes))},
            "reasons": [reason] if done < len(outcomes) else [],
        }
    )


async def test_admins_switching_each_other_off_at_once_never_all_go_on_working(
    portal_race: PortalRace,
) -> None:
    admins = await _signed_in_admins(portal_race, N)
    names = [name for name, _, _ in admins]
    calls = [
        _form(token, f"/admin/users/{names[(i + 1) % N]}/active", csrf=csrf, active="false")
        for i, (_, token, csrf) in enumerate(admins)
    ]
    # a round first, so each process has its connections open and the race is only the rule's
    warm = [_form(token, "/language", csrf=csrf, lang="en") for _, token, csrf in admins]
    race("", portal_race.database, portal_race.servers.ports, warm)
    rule = "a switched-off user stops working (admins switch each other off at once)"
    answers = race(rule, portal_race.database, portal_race.servers.ports, calls).answers
    outcomes = [_outcome(a) for a in answers]
    _figures(rule, portal_race, outcomes, "303 to sign-in: switched off by an earlier request")
    done = {i for i, o in enumerate(outcomes) if o == "done"}
    assert len(done) < N, f"all {N} switched the next one off: some acted after being off"
    for i, outcome in enumerate(outcomes):
        if outcome == "refused":  # only because the one before had switched them off
            assert (i - 1) % N in done, (i, outcomes)
    async with portal_db(portal_race) as session:
        users = {
            u.username: u
            for u in (await session.exec(select(User).where(col(User.username).in_(names)))).all()
        }
        with_sessions = set(
            (
                await session.exec(
                    select(WebSession.username).where(col(WebSession.username).in_(names))
                )
            ).all()
        )
    for i, name in enumerate(names):
        assert users[name].active == ((i - 1) % N not in done), (name, outcomes)
        assert (name in with_sessions) == users[name].active  # switched off: sessions ended
    # and their next request is refused
    again = [_form(t, f"/admin/users/{n}/active", csrf=c, active="true") for n, t, c in admins]
    answers = race("", portal_race.database, portal_race.servers.ports, again).answers
    for name, answer in zip(names, answers, strict=True):
        if not users[name].active:
            assert _outcome(answer) == "refused", (name, answer)


async def test_a_username_is_created_once(portal_race: PortalRace) -> None:
    [(_, token, csrf)] = await _signed_in_admins(portal_race, 1)
    username = f"new-{uuid.uuid4().hex[:8]}"
    fields = {"csrf": csrf, "username": username, "password": PASSWORD, "roles": "viewer"}
    rule = "one staff user per username (created at once)"
    calls = [_form(token, "/admin/users", **fields)] * N
    answers = race(rule, portal_race.database, portal_race.servers.ports, calls).answers
    outcomes = [_outcome(a) if a.status == 303 else str(a.status) for a in answers]
    _figures(rule, portal_race, outcomes, "the page again, saying: username exists already")
    assert outcomes.count("done") == 1, outcomes
    for answer in answers:
        if answer.status != 303:  # the administration page with the problem (422, or 200)
            assert answer.status in (200, 422), answer
            assert "exists already" in answer.body or "bestaat al" in answer.body, answer
    async with portal_db(portal_race) as session:
        found = (await session.exec(select(User).where(User.username == username))).all()
    assert len(found) == 1
