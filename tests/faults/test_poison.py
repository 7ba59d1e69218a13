"""A poison message and one of an unknown event type on every topic a service consumes:
both land on that topic's dead-letter topic, counted in the metrics, and the next good
event is applied as if nothing happened."""

import asyncio
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest

from services.funding.main import MIGRATIONS as FUNDING
from services.funding.main import consumers as funding_consumers
from services.kpi.main import MIGRATIONS as KPI
from services.kpi.main import consumers as kpi_consumers
from services.notifications.main import MIGRATIONS as NOTIFICATIONS
from services.notifications.main import consumers as notification_consumers
from shared.auth import Role
from shared.contracts import funding, kpi, projects
from shared.contracts.base import Event
from shared.contracts.envelope import CloudEvent
from shared.contracts.topics import dlq
from shared.messaging.consumer import DeadLetterProcessor, ReceivedMessage
from shared.messaging.kafka import KafkaPublisher, OutgoingMessage
from shared.metrics import DEAD_LETTERS
from shared.migrations import upgrade
from shared.runtime import ServiceRuntime
from tests.conftest import AuthHeaders
from tests.faults.platform_load import Load, PlatformDatabases, running_platform
from tests.infra import BrokerUnderTest
from tests.integration.funding.harness import funding_settings
from tests.integration.kpi.harness import kpi_settings
from tests.integration.notifications.harness import notifications_settings
from tests.kafka_helpers import ListPublisher, collect, produce

GOOD: dict[str, Event] = {
    "projects.events.v1": projects.ProgrammeCreated(
        programme_id=uuid.uuid4(),
        name="P",
        period_start=2020,
        period_end=2023,
        region="Drenthe",
        owner_organisation_id=None,
        actor="t",
    ),
    "kpi.events.v1": kpi.TargetSet(
        project_id=uuid.uuid4(),
        indicator_code="X",
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
    ),
    "funding.events.v1": funding.BudgetUsage(
        programme_id=uuid.uuid4(),
        goal_id=uuid.uuid4(),
        goal_code="G",
        fund="efro",
        allocated=0,
        committed=0,
        paid=0,
        committed_share=None,
    ),
}
SERVICES: dict[str, tuple[Path, Callable[[str], Any], Any]] = {
    "kpi": (KPI, lambda url: kpi_settings(url), kpi_consumers),
    "funding": (FUNDING, lambda url: funding_settings(url), funding_consumers),
    "notifications": (
        NOTIFICATIONS,
        lambda url: notifications_settings(url),
        notification_consumers,
    ),
}


def record(
    topic: str, value: bytes | None, headers: list[tuple[str, bytes]], offset: int
) -> ReceivedMessage:
    return ReceivedMessage(topic, 0, offset, b"k", value, tuple(headers))


def dead_letters(topic: str) -> float:
    return DEAD_LETTERS.labels(dlq(topic))._value.get()  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", sorted(SERVICES))
async def test_poison_and_unknown_types_are_dead_lettered_and_the_flow_goes_on(
    name: str, tmp_path: Path
) -> None:
    migrations, settings_of, build = SERVICES[name]
    url = f"sqlite+aiosqlite:///{tmp_path / name}.db"
    await asyncio.to_thread(upgrade, migrations, url)
    settings = settings_of(url)
    runtime = ServiceRuntime.from_settings(settings)
    parked = ListPublisher()
    try:
        for processor, topics in build(runtime, settings)(cast(KafkaPublisher, parked)):
            if isinstance(processor, DeadLetterProcessor):
                continue  # it reads dead letters; it never makes them
            for topic in topics:
                before = dead_letters(topic)
                good = GOOD[topic]
                envelope = CloudEvent.wrap(good, source="test")
                unknown = [
                    (k, b"nobody.knows.v1" if k == "ce_type" else v) for k, v in envelope.headers()
                ]
                outcomes = [
                    await processor.process(record(topic, b"\x00 not an event", [], 1)),
                    await processor.process(record(topic, envelope.value(), unknown, 2)),
                    await processor.process(record(topic, envelope.value(), envelope.headers(), 3)),
                ]
                assert outcomes[:2] == ["dead-lettered", "dead-lettered"], (
                    processor.consumer_name,
                    topic,
                )
                assert outcomes[2] in ("applied", "skipped"), (
                    processor.consumer_name,
                    topic,
                    outcomes,
                )
                assert dead_letters(topic) == before + 2
        assert parked.sent and all(m.topic.endswith(".dlq") for m in parked.sent)
        assert all(dict(m.headers).get("dlq_error") for m in parked.sent)
    finally:
        await runtime.close()


async def test_poison_on_every_topic_mid_load_is_dead_lettered_and_the_rest_flows_on(
    broker: BrokerUnderTest, platform_dbs: PlatformDatabases, auth: AuthHeaders
) -> None:
    group = f"test-{secrets.token_hex(3)}."
    bootstrap = broker.bootstrap_servers
    marker = secrets.token_hex(6).encode()
    async with running_platform(platform_dbs, bootstrap, group) as platform:
        load = Load(platform, auth(Role.ADMIN))
        await load.setup()

        async def poison(n: int) -> None:
            if n != 3:
                return
            messages = []
            for topic, good in GOOD.items():
                envelope = CloudEvent.wrap(good, source="test")
                unknown = [
                    (k, b"nobody.knows.v1" if k == "ce_type" else v) for k, v in envelope.headers()
                ]
                messages += [
                    OutgoingMessage(topic, marker, b"\x00 not an event", []),
                    OutgoingMessage(topic, marker, envelope.value(), unknown),
                ]
            await produce(bootstrap, messages)

        await load.run(8, pause_s=0.5, during=poison)
        assert set(load.ledger.statuses) == {200}
        converged_s = await load.converged(platform_dbs)
        parked = {}
        for topic in GOOD:
            parked[topic] = await collect(
                bootstrap, dlq(topic), lambda kept: len(kept) >= 2, keep=lambda m: m.key == marker
            )
            assert len(parked[topic]) >= 2, topic  # both, from each group that reads the topic
        metrics = (await platform.kpi.client.get("/metrics")).text
        assert f'koers_dead_letters_total{{topic="{dlq("kpi.events.v1")}"}}' in metrics
        print(
            f"poison: {sum(map(len, parked.values()))} dead letters on {len(GOOD)} topics "
            f"mid-load; {load.ledger.reports_accepted} reports; converged {converged_s:.1f} s after"
        )
