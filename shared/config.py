"""Settings every service has; each service subclasses with its own env prefix."""

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
