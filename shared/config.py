"""Settings every service has; each service subclasses with its own env prefix."""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Explicit settings, built by the composition root and passed in (never at import time).

    The signing key has no default on purpose: a deployment that forgets it must
    fail at start, not run with a guessable secret.
    """

    model_config = SettingsConfigDict(extra="ignore", env_file=None)

    service_name: str
    database_url: str = Field(
        description="SQLAlchemy async URL: sqlite+aiosqlite or postgresql+asyncpg"
    )
    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    jwt_secret: SecretStr = Field(min_length=16)
    jwt_issuer: str = "koersmonitor"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    # Tansu's fetch loop is not woken by new data: latency ~ fetch_max_wait_ms / 2.
    kafka_fetch_max_wait_ms: int = 100
    kafka_session_timeout_ms: int = 6000
    # The producer (ADR 0027). The embedded broker (Tansu) fails at start with an
    # idempotent producer, so the default is off; on Apache Kafka compose and the k8s
    # overlays turn it on (tested: `make test-kafka`), with lz4 batches lingering 5 ms.
    kafka_enable_idempotence: bool = False
    kafka_compression_type: Literal["none", "gzip", "snappy", "lz4", "zstd"] = "none"
    kafka_linger_ms: int = Field(default=5, ge=0)
    consumer_max_attempts: int = 3
    # Events applied per transaction at most: larger batches catch up faster after a
    # backlog (a total touched by many events is written once), smaller ones hold locks
    # for less time.
    consumer_max_records: int = 5000
    # Prepended to consumer group ids: two environments (or test runs) on one cluster.
    consumer_group_prefix: str = ""
    # Larger request bodies are refused with 413 (routes that take files set their own).
    max_body_bytes: int = 1024 * 1024
    outbox_poll_interval_s: float = 0.05
    # Rows the relay publishes and marks sent per transaction: a batch of 1,000 reports
    # leaves in one go, and on SQLite each transaction waits its turn for the write lock.
    outbox_batch_size: int = 2000
    db_pool_size: int = 10
    # The worker serves /healthz and /readyz here for orchestrators; None = no server.
    worker_health_port: int | None = None


class TopicSettings(BaseSettings):
    """What `python -m services create-topics` (the topic job) creates topics with.

    Environment variables start with KAFKA_. Partition counts are those of
    shared/contracts/topics.py unless `KAFKA_TOPIC_PARTITIONS` (JSON, topic name to count)
    raises them; replication factor and `min.insync.replicas` are the cluster's to choose:
    1 and unset for one broker, 3 and 2 for three (what `make test-kafka` tested).
    """

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore", env_file=None)

    bootstrap_servers: str = "127.0.0.1:9092"
    replication_factor: int = Field(default=1, ge=1)
    min_insync_replicas: int | None = Field(default=None, ge=1)
    topic_partitions: dict[str, int] = Field(default_factory=dict)
