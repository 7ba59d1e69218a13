"""The outbox relay dies after publishing a batch and before marking it sent: the next relay
publishes the same events again, and the duplicates change no total."""

import contextlib
import secrets
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from services.kpi.main import consumers
from shared.auth import Role
from shared.messaging.consumer import ReceivedMessage
from shared.messaging.kafka import KafkaPublisher, OutgoingMessage
from shared.messaging.outbox import OutboxRelay, mark_all_unsent, outbox_backlog
from tests.conftest import AuthHeaders
from tests.faults.platform_load import Load, PlatformDatabases, running_platform
from tests.infra import BrokerUnderTest
from tests.integration.kpi.harness import KpiService, kpi_service
from tests.kafka_helpers import ListPublisher

ROUNDS = 8


class DiesAfterPublishing(ListPublisher):
    """Sends the batch, then the process is gone before the rows are marked."""

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        await super().publish(messages)
        raise SystemExit("relay killed")


def received(messages: Sequence[OutgoingMessage]) -> list[ReceivedMessage]:
    return [
        ReceivedMessage(m.topic, 0, i, m.key, m.value, tuple(m.headers))
        for i, m in enumerate(messages)
    ]


async def test_events_published_twice_are_counted_once(kpi_db: str, auth: AuthHeaders) -> None:
    staff = auth(Role.ADMIN)
    async for kpi in kpi_service(kpi_db):
        await _report(kpi, staff)
        dying = DiesAfterPublishing()
        relay = OutboxRelay(kpi.runtime.sessions, dying, lock_name="kpi.outbox")
        with contextlib.suppress(SystemExit):
            await relay.publish_pending()
        assert dying.sent and await outbox_backlog(kpi.runtime.sessions) == len(dying.sent)
        again = ListPublisher()
        await OutboxRelay(kpi.runtime.sessions, again, lock_name="kpi.outbox").publish_pending()
        assert await outbox_backlog(kpi.runtime.sessions) == 0
        assert [m.value for m in again.sent] == [m.value for m in dying.sent]  # the same events

        built = consumers(kpi.runtime, kpi.settings)(cast(KafkaPublisher, ListPublisher()))
        [projection] = [p for p, topics in built if "kpi.events.v1" in topics]
        duplicated = received([*dying.sent, *again.sent])
        await projection.process_many(duplicated)
        for message in duplicated:  # and each once more, alone
            await projection.process(message)
        totals = await kpi.client.get(
            "/v1/aggregates", params={"programme": str(kpi.registry.programme)}, headers=staff
        )
        by_code: dict[str, Any] = {a["indicator_code"]: a for a in totals.json()}
        assert Decimal(by_code["MEETINGS_ORGANISED"]["total"]["value"]) == 1 + 2 + 3 + 4
        assert by_code["MEETINGS_ORGANISED"]["total"]["projects"] == 1


async def _report(kpi: KpiService, staff: dict[str, str]) -> None:
    r = kpi.registry
    r.goal("G")
    r.organisation("Lead BV")
    project = r.project("P", lead="Lead BV", goals=["G"])
    await kpi.deliver()
    await kpi.client.put(f"/v1/projects/{project}/kpis/MEETINGS_ORGANISED", json={}, headers=staff)
    items = [
        {"project": "P", "indicator": "MEETINGS_ORGANISED", "period": f"2019-Q{q}", "value": q}
        for q in (1, 2, 3, 4)
    ]
    batch = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=staff)
    assert batch.json()["accepted"] == 4, batch.text


async def test_every_outbox_published_again_mid_load_changes_no_projection(
    broker: BrokerUnderTest, platform_dbs: PlatformDatabases, auth: AuthHeaders
) -> None:
    """At scale: mid-load, every event the registry, KPI and funding ever published goes out
    again — what relays killed between publishing and marking would do."""
    group = f"test-{secrets.token_hex(3)}."
    async with running_platform(platform_dbs, broker.bootstrap_servers, group) as platform:
        load = Load(platform, auth(Role.ADMIN))
        await load.setup()
        again: list[int] = []

        async def duplicate(n: int) -> None:
            if n in (3, 6):
                for service in (platform.registry, platform.kpi, platform.funding):
                    again.append(await mark_all_unsent(service.runtime.sessions))

        await load.run(ROUNDS, pause_s=0.5, during=duplicate)
        assert set(load.ledger.statuses) == {200}
        converged_s = await load.converged(platform_dbs)
        print(
            f"relay duplicates: {sum(again)} events published twice mid-load; "
            f"{load.ledger.reports_accepted} reports; converged {converged_s:.1f} s after the load"
        )
        assert sum(again) > load.ledger.reports_accepted
