"""The consumer loop on the real broker: redelivery has one effect, poison goes to the DLQ."""

import asyncio
from pathlib import Path

from shared.contracts.envelope import CloudEvent
from shared.contracts.topics import PROJECTS, dlq
from shared.messaging.consumer import KafkaEventConsumer, MessageProcessor
from shared.messaging.kafka import KafkaPublisher, OutgoingMessage, make_producer
from tests.conftest import Kafka
from tests.integration.shared import recorder
from tests.kafka_helpers import collect, eventually, produce


def _as_message(envelope: CloudEvent) -> OutgoingMessage:
    return OutgoingMessage(
        PROJECTS, envelope.subject.encode(), envelope.value(), envelope.headers()
    )


async def test_redelivered_event_has_one_effect_and_poison_lands_in_the_dlq(
    kafka: Kafka, tmp_path: Path
) -> None:
    sessions = await recorder.recorder_sessions(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    first, last = recorder.organisation_registered(), recorder.organisation_registered()
    first_envelope = CloudEvent.wrap(first, source="projects")
    last_envelope = CloudEvent.wrap(last, source="projects")
    poison_key = f"poison-{first.organisation_id}".encode()
    # Same key for all, so they share a partition and arrive in this order.
    key = first_envelope.subject.encode()
    await produce(
        kafka.bootstrap_servers,
        [
            _as_message(first_envelope),
            _as_message(first_envelope),  # redelivery: same CloudEvents id
            OutgoingMessage(PROJECTS, key, b"{not json", [("ce_id", poison_key)]),
            OutgoingMessage(PROJECTS, key, last_envelope.value(), last_envelope.headers()),
        ],
    )

    producer = make_producer(kafka.bootstrap_servers)
    await producer.start()
    processor = MessageProcessor(
        f"recorder-{first.organisation_id}",
        recorder.HANDLERS,
        lambda: recorder.RecorderUnitOfWork(sessions, source="recorder"),
        KafkaPublisher(producer),
    )
    stop = asyncio.Event()
    loop = KafkaEventConsumer(processor, [PROJECTS], kafka.bootstrap_servers, fetch_max_wait_ms=50)
    task = asyncio.create_task(loop.run(stop))
    try:
        await eventually(lambda: recorder.effects_for(sessions, last.organisation_id), timeout_s=40)
        assert await recorder.effects_for(sessions, first.organisation_id) == 1
        dead = await collect(
            kafka.bootstrap_servers,
            dlq(PROJECTS),
            done=lambda found: len(found) >= 1,
            keep=lambda m: dict(m.headers).get("ce_id") == poison_key,
        )
        assert len(dead) == 1
        assert dict(dead[0].headers)["dlq_consumer"] == processor.consumer_name.encode()
    finally:
        stop.set()
        await task
        await producer.stop()
        await sessions.kw["bind"].dispose()
