"""Kafka's own consumer-group tool, run from the same jars as the broker, reads a group's
committed offsets and lag as the group left them: the ground the check of the platform's
own lag figures against Kafka's will stand on. Apache Kafka only (`make test-kafka`)."""

import secrets

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from services import ops
from services.notifications.consumers import DEAD_LETTERS
from shared.contracts.topics import PROJECTS, dlq
from shared.messaging.kafka import KafkaPublisher, OutgoingMessage, make_producer
from shared.messaging.progress import PRODUCED_GROUP, LagReader, ProducedMarks, group_lag
from shared.worker import _lag_gauge
from tests.apache_kafka import GroupOffset, consumer_groups, end_offsets
from tests.conftest import Kafka
from tests.kafka_helpers import produce

TOPIC = dlq(PROJECTS)  # one partition, written by no flow in between


async def commit(bootstrap: str, group: str, offset: int) -> None:
    """Commit `offset` for `group` on the topic's partition, as a member that has left.

    Auto-commit is off: on stop it would commit the position the consumer had reached
    meanwhile (the end, where a fresh group starts), not the offset under test."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([TopicPartition(TOPIC, 0)])
        await consumer.commit({TopicPartition(TOPIC, 0): offset})
    finally:
        await consumer.stop()


async def test_the_group_tool_reports_what_the_group_committed(
    kafka: Kafka, request: pytest.FixtureRequest
) -> None:
    version = request.node.callspec.params["kafka"].removeprefix("kafka-")
    await produce(
        kafka.bootstrap_servers,
        [OutgoingMessage(TOPIC, f"k{i}".encode(), b"{}") for i in range(7)],
    )
    end = (await end_offsets(kafka.bootstrap_servers, TOPIC))[0]
    group = f"test-tool-{secrets.token_hex(3)}"
    await commit(kafka.bootstrap_servers, group, end - 3)
    rows = consumer_groups(version, kafka.bootstrap_servers, group)
    assert rows == [GroupOffset(group, TOPIC, 0, end - 3, end, 3)]


async def publish_with_marks(bootstrap: str, batches: list[int]) -> None:
    """Publish as the outbox relay does (record batches, produced marks recorded)."""
    producer = make_producer(bootstrap)
    await producer.start()
    marks = ProducedMarks(bootstrap)
    try:
        publisher = KafkaPublisher(producer, marks)
        for size in batches:
            await publisher.publish(
                [OutgoingMessage(TOPIC, f"k{i}".encode(), b"{}") for i in range(size)]
            )
    finally:
        await producer.stop()
        await marks.close()


async def test_the_platform_reports_the_lag_kafkas_own_tool_reports(
    kafka: Kafka, request: pytest.FixtureRequest
) -> None:
    """`ops lag`, the freshness figures and koers_consumer_lag against kafka-consumer-groups:
    the produced mark is the log end offset, and the lag is the tool's (ADR 0028)."""
    version = request.node.callspec.params["kafka"].removeprefix("kafka-")
    bootstrap = kafka.bootstrap_servers
    await publish_with_marks(bootstrap, [5, 1, 9])
    end = (await end_offsets(bootstrap, TOPIC))[0]
    prefix = f"t{secrets.token_hex(3)}."
    group = prefix + DEAD_LETTERS  # `ops lag` lists it on every dead-letter topic
    await commit(bootstrap, group, end - 4)

    tool = consumer_groups(version, bootstrap, group)
    assert tool == [GroupOffset(group, TOPIC, 0, end - 4, end, 4)]
    marks = consumer_groups(version, bootstrap, PRODUCED_GROUP)
    assert GroupOffset(PRODUCED_GROUP, TOPIC, 0, end, end, 0) in marks

    platform = await group_lag(bootstrap, group, [TOPIC])
    assert [(p.committed, p.produced, p.lag) for p in platform] == [(end - 4, end, 4)]
    lines = await ops.lag(bootstrap, prefix)
    assert f"{group:<40} {TOPIC}[0] committed {end - 4} produced {end} lag 4" in lines
    reader = LagReader(bootstrap)
    try:
        await _lag_gauge(reader, {group: [TOPIC]})()
    finally:
        await reader.close()
    labels = {"group": group, "topic": TOPIC, "partition": "0"}
    assert REGISTRY.get_sample_value("koers_consumer_lag", labels) == 4
