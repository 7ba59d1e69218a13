"""What the portal asks of the notifications service for issue 22: a staff user's own
subscriptions, reminders a programme manager sends for missing reports (once a day per
report, to whoever the due/overdue rule reaches for the project), and a new subscription
that starts with what stands. SQLite and PostgreSQL."""

import uuid
from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.notifications import scheduler
from services.notifications.consumers import kpi_handlers, registry_handlers
from shared.auth import Role
from shared.contracts import kpi
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


async def test_a_manager_signing_in_after_a_programme_ended_finds_the_reports_it_never_got(
    api: NotificationsApi, auth: AuthHeaders
) -> None:
    # The demo's shape: a project of the 2016-2019 programme, a quarterly KPI, only its
    # final quarter reported; the platform started (and ticked) long after, in 2026.
    ended = project_registered(PROJECT, PARTNER).model_copy(
        update={"start_date": date(2016, 1, 1), "end_date": date(2019, 12, 31)}
    )
    target = kpi.TargetSet(
        project_id=PROJECT,
        indicator_code="MEETINGS",
        indicator_kind="flow",
        direction="higher_is_better",
        frequency="quarterly",
        dimensions=(),
        baseline_value=None,
        baseline_year=None,
        target_value=Decimal(20),
        target_date=date(2019, 12, 31),
        period_targets={},
        actor="seed",
    )
    final = kpi.ReportSubmitted(
        project_id=PROJECT,
        indicator_code="MEETINGS",
        report_id=uuid.uuid4(),
        indicator_kind="flow",
        period="2019-Q4",
        dimension_key="",
        version=1,
        value=Decimal(39),
        numerator=None,
        denominator=None,
        comment=None,
        source_ref=None,
        organisation_id=None,
        submitted_by="seed",
    )
    processor = MessageProcessor(
        "test", {**registry_handlers(), **kpi_handlers()}, api.uow, ListPublisher()
    )
    for offset, event in enumerate((ended, target, final)):
        assert await processor.process(message(event, offset)) == "applied"
    assert await scheduler.tick(api.uow(), date(2026, 12, 5)) == 1
    assert await scheduler.tick(api.uow(), date(2026, 12, 6)) == 0  # raised once

    # The manager signs in now, after it was raised, and finds it: one per KPI, naming
    # every quarter of the project's period that never came in (not 2019-Q4, which did).
    manager = auth(Role.PROGRAMME_MANAGER, user="pm")
    unread = await api.client.get("/v1/feed/unread-count", headers=manager)
    assert unread.json() == {"unread": 1}
    [item] = (await api.client.get("/v1/feed", params={"language": "nl"}, headers=manager)).json()
    assert item["rule"] == "report_overdue" and item["project_id"] == str(PROJECT)
    assert item["title"] == "Rapportages te laat: IBDO MEETINGS, 15 kwartalen"
    assert "2016-Q1 t/m 2019-Q3" in item["body"]
    assert item["data"]["periods"][-1] == "2019-Q3" and item["read_at"] is None

    # A viewer is not subscribed by default; switching the rule on in the app brings what
    # stands, once however often it is switched on; e-mail does not look back.
    viewer = auth(Role.VIEWER, user="vera")
    assert (await api.client.get("/v1/feed", headers=viewer)).json() == []
    wanted = [{"rule": "report_overdue", "channel": "in_app"}]
    for _ in range(2):
        answer = await api.client.put(
            "/v1/subscribers/me/subscriptions", json=wanted, headers=viewer
        )
        assert answer.status_code == 200, answer.text
    assert [i["rule"] for i in (await api.client.get("/v1/feed", headers=viewer)).json()] == [
        "report_overdue"
    ]
    by_email = [*wanted, {"rule": "report_overdue", "channel": "email"}]
    answer = await api.client.put("/v1/subscribers/me/subscriptions", json=by_email, headers=viewer)
    assert answer.status_code == 200, answer.text
    emails = await api.client.get(
        "/v1/deliveries", params={"channel": "email"}, headers=auth(Role.ADMIN)
    )
    assert emails.json() == []
