"""Notifications stay one per occurrence, and one subscriber per staff user, when worker
instances tick at the same moment and a user's first requests arrive together at two API
processes (issue 25), on SQLite and PostgreSQL."""

import asyncio
import functools
import json
import subprocess
import sys
import time
import uuid
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from services.notifications.consumers import KPI_RULES, kpi_handlers, registry_handlers
from services.notifications.models import Notification, OccurrenceRow, Subscriber, Subscription
from services.notifications.uow import NotificationsUnitOfWork
from shared.auth import Role
from shared.contracts import kpi
from shared.db import create_engine, session_factory
from shared.messaging.consumer import MessageProcessor
from tests.concurrency.conftest import NotificationsRace
from tests.concurrency.harness import Call, race, record_figures, staff_headers
from tests.integration.notifications.harness import message, project_registered
from tests.kafka_helpers import ListPublisher

N = 8
TICKERS = 4
DAY = date(2026, 11, 1)


async def _projects_behind_on_reports(notifications: NotificationsRace, count: int) -> None:
    """Running projects with a quarterly KPI and no report yet: overdue, quarter after
    quarter, on DAY."""
    handlers = {**registry_handlers(), **kpi_handlers()}
    processor = MessageProcessor("setup", handlers, notifications.local.uow, ListPublisher())
    offset = 0
    for n in range(count):
        project_id = uuid.uuid4()
        target = kpi.TargetSet(
            project_id=project_id,
            indicator_code="MEETINGS",
            indicator_kind="flow",
            direction="higher_is_better",
            frequency="quarterly",
            dimensions=(),
            baseline_value=None,
            baseline_year=None,
            target_value=None,
            target_date=None,
            period_targets={},
            actor="t",
        )
        for event in (project_registered(project_id, uuid.uuid4(), f"LATE{n}"), target):
            assert await processor.process(message(event, offset)) == "applied"
            offset += 1


async def _count(notifications: NotificationsRace, model: Any) -> int:
    async with notifications.local.uow() as uow:
        return int((await uow.session.exec(select(func.count()).select_from(model))).one())


def _tick_together(url: str, tickers: int) -> list[int]:
    """`tickers` worker processes tick the clock rules at the same moment."""
    start_at = time.time() + 4  # time to start and connect first
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.concurrency.tick_once",
                url,
                DAY.isoformat(),
                str(start_at),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(tickers)
    ]
    raised = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode(errors="replace")[-3000:]
        raised.append(json.loads(out.decode().strip().splitlines()[-1])["raised"])
    return raised


async def test_ticks_at_the_same_moment_raise_each_occurrence_once(
    notifications_race: NotificationsRace,
) -> None:
    await _projects_behind_on_reports(notifications_race, 5)
    before = await _count(notifications_race, OccurrenceRow)
    raised = await asyncio.to_thread(_tick_together, notifications_race.url, TICKERS)
    occurrences = await _count(notifications_race, OccurrenceRow) - before
    assert occurrences >= 5, "every late project is overdue at least once"
    assert sum(raised) == occurrences  # each raised by exactly one of the ticks
    assert await _count(notifications_race, Notification) == await _count(
        notifications_race, OccurrenceRow
    )
    record_figures(
        {
            "rule": "one notification per occurrence (worker ticks at once)",
            "database": notifications_race.database,
            "instances": TICKERS,
            "sent": TICKERS * occurrences,
            "accepted": sum(raised),
            "refused": TICKERS * occurrences - sum(raised),
            "statuses": {"raised per tick": raised},
            "reasons": ["occurred already (claimed by another tick)"],
        }
    )


async def test_an_event_redelivered_to_workers_at_once_raises_one_notification(
    notifications_race: NotificationsRace,
) -> None:
    """A rebalance hands one event to several workers: one notification, the rest duplicates."""
    project_id = uuid.uuid4()
    handlers = {**registry_handlers(), **kpi_handlers()}
    setup = MessageProcessor("setup", handlers, notifications_race.local.uow, ListPublisher())
    assert await setup.process(message(project_registered(project_id, uuid.uuid4()))) == "applied"
    returned = kpi.ReportReturned(
        project_id=project_id,
        indicator_code="MEETINGS",
        report_id=uuid.uuid4(),
        indicator_kind="flow",
        period="2026-Q2",
        dimension_key="",
        version=1,
        reviewed_by="pm",
        reason="attach the list",
    )
    engines = [create_engine(notifications_race.url) for _ in range(TICKERS)]
    dead_letters = ListPublisher()
    try:
        workers = [
            MessageProcessor(
                KPI_RULES,
                kpi_handlers(),
                functools.partial(
                    NotificationsUnitOfWork, session_factory(e), source="notifications"
                ),
                dead_letters,
                retry_backoff_s=0.05,
            )
            for e in engines
        ]
        delivered = message(returned, 7)  # one record: one event id
        outcomes = await asyncio.gather(*(w.process(delivered) for w in workers))
    finally:
        for engine in engines:
            await engine.dispose()
    async with notifications_race.local.uow() as uow:
        raised = await uow.session.exec(
            select(func.count()).where(
                col(Notification.project_id) == project_id,
                col(Notification.rule) == "report_returned",
            )
        )
        assert raised.one() == 1
    assert sorted(outcomes) == ["applied"] + ["duplicate"] * (TICKERS - 1)
    assert not dead_letters.sent
    record_figures(
        {
            "rule": "one notification per occurrence (one event redelivered at once)",
            "database": notifications_race.database,
            "instances": TICKERS,
            "sent": TICKERS,
            "accepted": outcomes.count("applied"),
            "refused": outcomes.count("duplicate"),
            "statuses": {o: outcomes.count(o) for o in sorted(set(outcomes))},
            "reasons": ["duplicate (applied by another worker)"],
        }
    )


async def test_a_users_first_requests_at_once_make_one_subscriber(
    notifications_race: NotificationsRace,
) -> None:
    user = f"new-{uuid.uuid4().hex[:8]}"
    headers = staff_headers(Role.PROGRAMME_MANAGER, user=user)
    paths = ["/v1/feed?language=en", "/v1/feed/unread-count", "/v1/feed/read-all"]
    calls = [
        Call("POST" if "read-all" in paths[n % 3] else "GET", paths[n % 3], None, headers)
        for n in range(N)
    ]
    figures = race(
        "one subscriber per staff user (first requests at once)",
        notifications_race.database,
        notifications_race.servers.ports,
        calls,
    ).check(())
    assert len(figures.accepted) == N
    async with notifications_race.local.uow() as uow:
        found = (
            await uow.session.exec(select(Subscriber).where(Subscriber.username == user))
        ).all()
        assert len(found) == 1
        subscriptions = await uow.session.exec(
            select(func.count()).where(col(Subscription.subscriber_id) == found[0].id)
        )
        assert subscriptions.one() > 0  # the defaults of the role, once


async def test_a_username_is_subscribed_once(notifications_race: NotificationsRace) -> None:
    user = f"sub-{uuid.uuid4().hex[:8]}"
    body = {"kind": "staff", "name": user, "username": user, "roles": ["viewer"]}
    figures = race(
        "one subscriber per username (created at once)",
        notifications_race.database,
        notifications_race.servers.ports,
        [Call("POST", "/v1/subscribers", body, staff_headers())] * N,
    ).check({422})
    assert len(figures.accepted) == 1
    assert all("subscribed already" in a.reason() for a in figures.refused)
    async with notifications_race.local.uow() as uow:
        found = (
            await uow.session.exec(select(Subscriber).where(Subscriber.username == user))
        ).all()
        assert [s.id for s in found] == [uuid.UUID(figures.accepted[0].body["id"])]
