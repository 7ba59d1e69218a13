"""Kafka's production settings as configuration (ADR 0027): what the environment sets is
what the producer and the topic job use; and the reading of Kafka's own group tool."""

import pytest
from pydantic import ValidationError

from services.kpi.config import KpiSettings
from shared.config import TopicSettings
from shared.contracts.topics import KPI, TopicSpec
from shared.messaging.kafka import ProducerOptions, TopicLayout, make_producer
from tests.apache_kafka import GroupOffset, parse_consumer_groups, pinned_version, versions


def kpi_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> KpiSettings:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return KpiSettings(database_url="sqlite+aiosqlite://", jwt_secret="x" * 16)


def test_the_producer_defaults_suit_the_embedded_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    options = ProducerOptions.of(kpi_settings(monkeypatch))
    assert options == ProducerOptions(enable_idempotence=False, compression_type="none")


async def test_the_environment_turns_on_what_apache_kafka_was_tested_with(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = kpi_settings(
        monkeypatch,
        KPI_KAFKA_ENABLE_IDEMPOTENCE="true",
        KPI_KAFKA_COMPRESSION_TYPE="lz4",
        KPI_KAFKA_LINGER_MS="10",
    )
    options = ProducerOptions.of(settings)
    assert options == ProducerOptions(True, "lz4", 10)
    producer = make_producer("127.0.0.1:1", options)  # built, never started
    assert producer._txn_manager is not None  # aiokafka keeps idempotence state there
    assert producer._compression_type == "lz4"
    await producer.stop()


def test_an_unknown_compression_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError):
        kpi_settings(monkeypatch, KPI_KAFKA_COMPRESSION_TYPE="brotli")


def test_the_topic_job_reads_its_layout_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "3")
    monkeypatch.setenv("KAFKA_MIN_INSYNC_REPLICAS", "2")
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", '{"kpi.events.v1": 24, "other": 2}')
    layout = TopicLayout.of(TopicSettings())
    topic = layout.new_topic(TopicSpec(KPI, 12))
    assert (topic.name, topic.num_partitions, topic.replication_factor) == (KPI, 24, 3)
    assert topic.topic_configs == {"min.insync.replicas": "2"}


def test_partition_counts_are_only_ever_raised() -> None:
    """Fewer partitions would move keys between partitions and reorder a project's events."""
    layout = TopicLayout(partitions={KPI: 4})
    assert layout.partitions_of(TopicSpec(KPI, 12)) == 12
    assert TopicLayout().new_topic(TopicSpec(KPI, 12)).topic_configs == {}


# What kafka-consumer-groups 3.9.1 --describe printed for a group with one member gone
# and one partition never committed (captured from a run; the parser must read both).
DESCRIBED = """
Consumer group 'test-1.kpi.projection' has no active members.

GROUP                 TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  CONSUMER-ID  HOST  CLIENT-ID
test-1.kpi.projection kpi.events.v1   0          174             180             6    -            -     -
test-1.kpi.projection kpi.events.v1   1          -               42              -    -            -     -

GROUP    TOPIC              PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG   CONSUMER-ID                          HOST        CLIENT-ID
other    projects.events.v1 3          9               9               0     aiokafka-0.14.0-6b83407b-e33b-443e   /127.0.0.1  aiokafka-0.14.0
"""  # noqa: E501


def test_the_group_tool_s_tables_are_read_by_their_headings() -> None:
    assert parse_consumer_groups(DESCRIBED) == [
        GroupOffset("test-1.kpi.projection", KPI, 0, 174, 180, 6),
        GroupOffset("test-1.kpi.projection", KPI, 1, None, 42, None),
        GroupOffset("other", "projects.events.v1", 3, 9, 9, 0),
    ]


def test_a_group_the_tool_does_not_know_gives_no_rows() -> None:
    assert parse_consumer_groups("Error: Consumer group 'nope' does not exist.\n") == []


def test_the_kafka_versions_tested_start_with_the_one_compose_deploys() -> None:
    assert versions()[0] == pinned_version()
    assert all(v.split(".")[0] in {"3", "4"} for v in versions())
