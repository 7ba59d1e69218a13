"""Kafka's own consumer-group tool, run from the same jars as the broker, reads a group's
committed offsets and lag as the group left them: the ground the check of the platform's
own lag figures against Kafka's will stand on. Apache Kafka only (`make test-kafka`)."""

import secrets

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from shared.contracts.topics import PROJECTS, dlq
from shared.messaging.kafka import OutgoingMessage
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
