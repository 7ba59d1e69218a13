"""Notifications on SQLite and PostgreSQL: one per condition whatever is redelivered or
ticked; e-mail to a real SMTP server; signed webhooks with retries."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from decimal import Decimal
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from services.notifications import scheduler
from services.notifications.consumers import (
    funding_handlers,
    kpi_handlers,
    registry_handlers,
)
from services.notifications.delivery import Deliverer
from shared.auth import Role
from shared.broker import free_port
from shared.contracts import funding, kpi
from shared.contracts.base import Event
from shared.messaging.consumer import MessageProcessor
from tests.conftest import AuthHeaders
from tests.integration.notifications.harness import (
    SECRET,
    Clock,
    NotificationsApi,
    a_minute_from_now,
    message,
    notifications_api,
    notifications_settings,
    project_registered,
    utc,
    webhook_receiver,
)
from tests.kafka_helpers import ListPublisher

PROJECT, PARTNER = uuid.uuid4(), uuid.uuid4()


@pytest.fixture
async def api(notifications_db: str) -> AsyncIterator[NotificationsApi]:
    async with notifications_api(notifications_settings(notifications_db)) as service:
        yield service


async def subscribe(api: NotificationsApi, auth: AuthHeaders, **body: Any) -> dict[str, Any]:
    response = await api.client.post("/v1/subscribers", json=body, headers=auth(Role.ADMIN))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def deliver(api: NotificationsApi, *events: Event) -> None:
    """Every event twice, as after a redelivery, through the service's consumers."""
    handlers = {**registry_handlers(), **kpi_handlers(), **funding_handlers()}
    processor = MessageProcessor("test", handlers, api.uow, ListPublisher())
    for offset, event in enumerate(events):
        received = message(event, offset)
        assert await processor.process(received) == "applied"
        assert await processor.process(received) == "duplicate"


def cell(event_type: type[kpi.ReportCellEvent], version: int, **extra: Any) -> Any:
    return event_type(
        project_id=PROJECT,
        indicator_code="MEETINGS",
        report_id=uuid.uuid4(),
        indicator_kind="flow",
        period="2026-Q2",
        dimension_key="",
        version=version,
        **extra,
    )


SUBMITTED = {
    "value": Decimal(3),
    "numerator": None,
    "denominator": None,
    "comment": None,
    "source_ref": None,
    "organisation_id": None,
    "submitted_by": "partner",
}


async def feed(api: NotificationsApi, auth: AuthHeaders, user: str, *roles: Role) -> list[str]:
    response = await api.client.get(
        "/v1/feed", params={"language": "en"}, headers=auth(*roles, user=user)
    )
    assert response.status_code == 200, response.text
    return sorted(item["rule"] for item in response.json())


async def test_each_condition_notifies_once_across_redelivery_and_ticks(
    api: NotificationsApi, auth: AuthHeaders
) -> None:
    await feed(api, auth, "pm", Role.PROGRAMME_MANAGER)  # first seen: role defaults
    await feed(api, auth, "fo", Role.FINANCE_OFFICER)
    partner = await subscribe(
        api,
        auth,
        kind="organisation",
        name="IBDO BV",
        organisation_id=str(PARTNER),
        email="crm@ibdo.example",
    )
    stranger = await subscribe(
        api,
        auth,
        kind="organisation",
        name="Other BV",
        organisation_id=str(uuid.uuid4()),
        email="crm@other.example",
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
        target_value=None,
        target_date=None,
        period_targets={},
        actor="t",
    )
    await deliver(
        api,
        project_registered(PROJECT, PARTNER),
        target,
        cell(kpi.ReportSubmitted, 1, **SUBMITTED),
        cell(kpi.ReportApproved, 1, reviewed_by="pm"),
        cell(kpi.ReportRevised, 2, **SUBMITTED, reason="late invoice"),
        cell(kpi.ReportReturned, 2, reviewed_by="pm", reason="attach the list"),
        kpi.ProgressStatusChanged(
            project_id=PROJECT,
            indicator_code="MEETINGS",
            previous_status="on_track",
            status="off_track",
            realised=Decimal(3),
            expected=Decimal(10),
            percent_of_target=Decimal(30),
            as_of=date(2026, 6, 30),
        ),
        funding.BudgetUsage(
            programme_id=uuid.uuid4(),
            goal_id=uuid.uuid4(),
            goal_code="PL-A",
            fund="efro",
            allocated=Decimal(100),
            committed=Decimal(95),
            paid=Decimal(0),
            committed_share=Decimal("0.95"),
        ),
    )
    for day in (date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 2)):
        await scheduler.tick(api.uow(), day)

    assert await feed(api, auth, "pm", Role.PROGRAMME_MANAGER) == [
        "progress_slipped",
        # one for the KPI: 2025-Q1 to 2026-Q1 and 2026-Q3 not reported (2026-Q2 was)
        "report_overdue",
        "report_revised_after_approval",
    ]
    assert await feed(api, auth, "fo", Role.FINANCE_OFFICER) == ["budget_nearly_committed"]
    deliveries = (
        await api.client.get(
            "/v1/deliveries", params={"channel": "email"}, headers=auth(Role.ADMIN)
        )
    ).json()
    by_target: dict[str, list[str]] = {}
    for d in deliveries:
        by_target.setdefault(d["target"], []).append(d["status"])
    assert len(by_target["crm@ibdo.example"]) == 3  # returned, progress, overdue
    assert "crm@other.example" not in by_target  # not its project
    assert partner["subscriptions"] and stranger["subscriptions"]
    unread = await api.client.get("/v1/feed/unread-count", headers=auth(user="pm"))
    assert unread.json() == {"unread": 3}
    read_all = await api.client.post("/v1/feed/read-all", headers=auth(user="pm"))
    assert read_all.json() == {"unread": 0}


async def test_bad_subscriptions_are_refused_and_secrets_never_returned(
    api: NotificationsApi, auth: AuthHeaders
) -> None:
    bad = {
        "kind": "organisation",
        "name": "X",
        "organisation_id": str(PARTNER),
        "webhook_url": "ftp://x",
        "subscriptions": [{"rule": "nope", "channel": "email"}],
    }
    response = await api.client.post("/v1/subscribers", json=bad, headers=auth(Role.ADMIN))
    assert response.status_code == 422
    locs = {tuple(p["loc"]) for p in response.json()["detail"]}
    assert locs == {
        ("body", "webhook_url"),
        ("body", "webhook_secret"),
        ("body", "subscriptions", 0, "rule"),
    }
    broken = bad | {"webhook_url": "https://[oops/hook", "subscriptions": []}
    response = await api.client.post("/v1/subscribers", json=broken, headers=auth(Role.ADMIN))
    assert response.status_code == 422  # was a 500 before the property tests found it
    assert ["body", "webhook_url"] in [p["loc"] for p in response.json()["detail"]]
    created = await subscribe(
        api,
        auth,
        kind="organisation",
        name="Y",
        organisation_id=str(PARTNER),
        webhook_url="https://partner.example/hook",
        webhook_secret=SECRET,
    )
    listed = await api.client.get("/v1/subscribers", headers=auth(Role.ADMIN))
    assert SECRET not in listed.text and created["has_webhook_secret"] is True


class Inbox:
    """A real SMTP server on loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.port = free_port()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    server.start()
    yield inbox
    server.stop()


async def test_email_reaches_a_real_smtp_server_in_the_subscribers_language(
    notifications_db: str, auth: AuthHeaders, inbox: Inbox
) -> None:
    settings = notifications_settings(notifications_db, smtp_host="127.0.0.1", smtp_port=inbox.port)
    async with notifications_api(settings) as api:
        await subscribe(
            api,
            auth,
            kind="organisation",
            name="IBDO BV",
            organisation_id=str(PARTNER),
            email="crm@ibdo.example",
            language="nl",
        )
        await deliver(
            api,
            project_registered(PROJECT, PARTNER),
            cell(kpi.ReportReturned, 1, reviewed_by="pm", reason="bijlage ontbreekt"),
        )
        deliverer = Deliverer(api.uow, settings, None, Clock(a_minute_from_now()))  # type: ignore[arg-type]
        assert await deliverer.run_once() == 1
        assert await deliverer.run_once() == 0
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["To"] == "crm@ibdo.example"
    assert mail["Subject"] == "Rapportage teruggestuurd: IBDO MEETINGS 2026-Q2"
    assert "Reden: bijlage ontbreekt" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]


async def test_a_webhook_failing_twice_is_delivered_once_with_a_valid_signature(
    notifications_db: str, auth: AuthHeaders
) -> None:
    import httpx

    settings = notifications_settings(notifications_db)
    async with webhook_receiver(fail_first=2) as receiver, notifications_api(settings) as api:
        await subscribe(
            api,
            auth,
            kind="organisation",
            name="IBDO BV",
            organisation_id=str(PARTNER),
            webhook_url=receiver.url,
            webhook_secret=SECRET,
        )
        await deliver(
            api,
            project_registered(PROJECT, PARTNER),
            cell(kpi.ReportReturned, 1, reviewed_by="pm", reason="attach the list"),
        )
        async with httpx.AsyncClient() as http:
            deliverer = Deliverer(api.uow, settings, http, Clock(a_minute_from_now()))
            for _ in range(4):
                await deliverer.run_once()
                await asyncio.sleep(0)
        admin = auth(Role.ADMIN)
        [delivery] = (
            await api.client.get("/v1/deliveries", params={"channel": "webhook"}, headers=admin)
        ).json()
        attempts = (
            await api.client.get(f"/v1/deliveries/{delivery['id']}/attempts", headers=admin)
        ).json()
    assert (delivery["status"], delivery["attempts"]) == ("delivered", 3)
    assert [a["status"] for a in attempts] == ["failed", "failed", "delivered"]
    assert len(receiver.accepted) == 1 and all(r["valid"] for r in receiver.received)
    body = json.loads(receiver.accepted[0]["body"])
    assert body["rule"] == "report_returned" and body["delivery_id"] == delivery["id"]


async def test_a_digest_subscriber_gets_one_email_a_day_with_everything_that_waited(
    notifications_db: str, auth: AuthHeaders, inbox: Inbox
) -> None:
    settings = notifications_settings(notifications_db, smtp_host="127.0.0.1", smtp_port=inbox.port)
    async with notifications_api(settings) as api:
        await subscribe(
            api,
            auth,
            kind="organisation",
            name="IBDO BV",
            organisation_id=str(PARTNER),
            email="crm@ibdo.example",
            language="en",
            digest=True,
        )
        await deliver(
            api,
            project_registered(PROJECT, PARTNER),
            cell(kpi.ReportReturned, 1, reviewed_by="pm", reason="first"),
            cell(kpi.ReportReturned, 2, reviewed_by="pm", reason="second"),
        )
        clock = Clock(utc(2026, 11, 29, hour=6))
        deliverer = Deliverer(api.uow, settings, None, clock)  # type: ignore[arg-type]
        assert await deliverer.run_once() == 0  # digests wait for the digest hour
        assert await deliverer.send_digests() == 0
        clock.now = utc(2026, 11, 29, hour=8)
        assert await deliverer.send_digests() == 1
        assert await deliverer.send_digests() == 0  # once a day
    [mail] = inbox.messages
    assert mail["Subject"] == "Koersmonitor: your daily digest"
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Reason: first" in text and "Reason: second" in text
