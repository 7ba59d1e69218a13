"""The notification worker as deployed, on the real broker and PostgreSQL: events in, a
webhook that always fails ends as failed and on the dead-letter topic, and ops hear of it."""

import secrets
import uuid
from typing import Any

from services.notifications.main import create_app, run_worker
from services.notifications.uow import NotificationsUnitOfWork
from shared.auth import Role
from shared.contracts import kpi
from shared.contracts.base import Event
from shared.contracts.envelope import CloudEvent
from shared.contracts.topics import NOTIFICATIONS, dlq
from shared.messaging.kafka import OutgoingMessage
from tests.conftest import AuthHeaders, Kafka
from tests.integration.notifications.harness import (
    SECRET,
    notifications_settings,
    project_registered,
    webhook_receiver,
)
from tests.kafka_helpers import collect, eventually, produce
from tests.running import running_service


def outgoing(event: Event) -> OutgoingMessage:
    envelope = CloudEvent.wrap(event, source="test")
    return OutgoingMessage(event.topic, event.key.encode(), envelope.value(), envelope.headers())


async def test_a_webhook_that_always_fails_ends_failed_and_on_the_dead_letter_topic(
    kafka: Kafka, notifications_pg_db: str, auth: AuthHeaders
) -> None:
    project, partner = uuid.uuid4(), uuid.uuid4()
    settings = notifications_settings(
        notifications_pg_db,
        kafka.bootstrap_servers,
        consumer_group_prefix=f"test-{secrets.token_hex(3)}.",
        webhook_max_attempts=3,
    )
    admin = auth(Role.ADMIN, user="ops")
    async with (
        webhook_receiver(fail_first=-1) as receiver,
        running_service(create_app(settings), lambda stop: run_worker(settings, stop)) as service,
    ):
        assert (await service.client.get("/v1/feed", headers=admin)).status_code == 200
        body = {
            "kind": "organisation",
            "name": "IBDO BV",
            "organisation_id": str(partner),
            "webhook_url": receiver.url,
            "webhook_secret": SECRET,
        }
        created = await service.client.post("/v1/subscribers", json=body, headers=admin)
        assert created.status_code == 201, created.text
        returned = kpi.ReportReturned(
            project_id=project,
            indicator_code="MEETINGS",
            report_id=uuid.uuid4(),
            indicator_kind="flow",
            period="2026-Q2",
            dimension_key="",
            version=1,
            reviewed_by="pm",
            reason="attach the list",
        )
        await produce(kafka.bootstrap_servers, [outgoing(project_registered(project, partner))])

        async def replica_knows_project() -> bool:
            async with NotificationsUnitOfWork(service.runtime.sessions, "test") as uow:
                return await uow.replica.project(project) is not None

        await eventually(replica_knows_project, timeout_s=40)
        await produce(kafka.bootstrap_servers, [outgoing(returned), outgoing(returned)])

        failed: list[dict[str, Any]] = []

        async def webhook_failed() -> bool:
            response = await service.client.get(
                "/v1/deliveries", params={"channel": "webhook", "status": "failed"}, headers=admin
            )
            failed[:] = response.json()
            return bool(failed)

        await eventually(webhook_failed, timeout_s=40)
        assert [(d["target"], d["attempts"]) for d in failed] == [(receiver.url, 3)]
        assert len(receiver.received) == 3 and receiver.accepted == []
        parked = await collect(
            kafka.bootstrap_servers,
            dlq(NOTIFICATIONS),
            done=lambda found: len(found) >= 1,
            keep=lambda m: failed[0]["id"].encode() in (m.value or b""),
        )
        assert dict(parked[0].headers)["ce_type"] == b"notifications.delivery.failed.v1"

        async def ops_told() -> bool:
            feed = await service.client.get("/v1/feed", params={"language": "en"}, headers=admin)
            return any(item["rule"] == "dead_letter" for item in feed.json())

        await eventually(ops_told, timeout_s=40)
