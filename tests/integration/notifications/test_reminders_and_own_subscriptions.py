"""What the portal asks of the notifications service for issue 22: a staff user's own
subscriptions, and reminders a programme manager sends for missing reports (once a day per
report, to whoever the due/overdue rule reaches for the project). SQLite and PostgreSQL."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from services.notifications.consumers import registry_handlers
from shared.auth import Role
from shared.messaging.consumer import MessageProcessor
from tests.conftest import AuthHeaders
from tests.integration.notifications.harness import (
    NotificationsApi,
    message,
    notifications_api,
    notifications_settings,
    project_registered,
)
from tests.kafka_helpers import ListPublisher

PROJECT, PARTNER = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
async def api(notifications_db: str) -> AsyncIterator[NotificationsApi]:
    async with notifications_api(notifications_settings(notifications_db)) as service:
        yield service


async def test_a_staff_user_reads_and_sets_their_own_subscriptions(
    api: NotificationsApi, auth: AuthHeaders
) -> None:
    viewer = auth(Role.VIEWER, user="vera")
    mine = await api.client.get("/v1/subscribers/me", headers=viewer)
    assert mine.status_code == 200, mine.text
    assert mine.json()["username"] == "vera"

    wanted = [{"rule": "report_overdue", "channel": "in_app"}]
    answer = await api.client.put("/v1/subscribers/me/subscriptions", json=wanted, headers=viewer)
    assert answer.status_code == 200, answer.text
    again = (await api.client.get("/v1/subscribers/me", headers=viewer)).json()
    assert again["subscriptions"] == wanted

    unknown = [{"rule": "no_such_rule", "channel": "in_app"}]
    refused = await api.client.put("/v1/subscribers/me/subscriptions", json=unknown, headers=viewer)
    assert refused.status_code == 422
    others = await api.client.get("/v1/subscribers", headers=viewer)
    assert others.status_code == 403  # everyone else's stay an administrator's


async def test_a_reminder_reaches_the_projects_partner_once_a_day(
    api: NotificationsApi, auth: AuthHeaders
) -> None:
    processor = MessageProcessor("test", registry_handlers(), api.uow, ListPublisher())
    assert await processor.process(message(project_registered(PROJECT, PARTNER))) == "applied"
    partner = await api.client.post(
        "/v1/subscribers",
        json={
            "kind": "organisation",
            "name": "IBDO BV",
            "organisation_id": str(PARTNER),
            "email": "crm@ibdo.example",
        },
        headers=auth(Role.ADMIN),
    )
    assert partner.status_code == 201, partner.text
    body: dict[str, Any] = {
        "reminders": [
            {"project_id": str(PROJECT), "indicator": "MEETINGS", "period": "2026-Q1"},
            {
                "project_id": str(PROJECT),
                "indicator": "MEETINGS",
                "period": "2025-Q4",
                "due_on": "2026-01-30",
            },
        ]
    }
    manager = auth(Role.PROGRAMME_MANAGER, user="pm")
    first = await api.client.post("/v1/reminders", json=body, headers=manager)
    assert first.status_code == 201, first.text
    assert first.json() == {"sent": 2, "already": 0}
    second = await api.client.post("/v1/reminders", json=body, headers=manager)
    assert second.json() == {"sent": 0, "already": 2}  # the same day: nothing new

    deliveries = (
        await api.client.get(
            "/v1/deliveries", params={"channel": "email"}, headers=auth(Role.ADMIN)
        )
    ).json()
    assert sorted(d["target"] for d in deliveries) == ["crm@ibdo.example"] * 2

    viewer = await api.client.post("/v1/reminders", json=body, headers=auth(Role.VIEWER))
    assert viewer.status_code == 403
    bad = {"reminders": [{"project_id": str(PROJECT), "indicator": "X", "period": "2026-Q9"}]}
    refused = await api.client.post("/v1/reminders", json=bad, headers=manager)
    assert refused.status_code == 422
