"""Reading and writing topics from tests, the way an outside consumer would."""

import asyncio
import secrets
import time
from collections.abc import Callable, Sequence

import httpx
from aiokafka import AIOKafkaConsumer

from shared.messaging.consumer import ReceivedMessage, received_message
from shared.messaging.kafka import KafkaPublisher, OutgoingMessage, make_producer


class ListPublisher:
    """Collects dead letters instead of sending them; implements the real Publisher port."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        self.sent.extend(messages)


async def produce(bootstrap: str, messages: Sequence[OutgoingMessage]) -> None:
    producer = make_producer(bootstrap)
    await producer.start()
    try:
        await KafkaPublisher(producer).publish(messages)
    finally:
        await producer.stop()


async def collect(
    bootstrap: str,
    topic: str,
    done: Callable[[list[ReceivedMessage]], bool],
    timeout_s: float = 30.0,
    keep: Callable[[ReceivedMessage], bool] = lambda _: True,
) -> list[ReceivedMessage]:
    """Read `topic` from the start in a fresh group until `done(kept messages)` or the timeout."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{secrets.token_hex(4)}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        fetch_max_wait_ms=50,
        session_timeout_ms=6000,
    )
    await consumer.start()
    kept: list[ReceivedMessage] = []
    deadline = time.monotonic() + timeout_s
    try:
        while not done(kept) and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                kept += [m for m in map(received_message, records) if keep(m)]
    finally:
        await consumer.stop()
    return kept


async def eventually(
    check: Callable[[], object], timeout_s: float = 30.0, interval_s: float = 0.05
) -> None:
    """Wait until the async or sync `check` returns truthy; fail with its last value."""
    deadline = time.monotonic() + timeout_s
    last: object = None
    while time.monotonic() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s (last: {last!r})")


async def partner_key(
    client: httpx.AsyncClient, staff: dict[str, str], organisation_id: str
) -> dict[str, str]:
    """A partner API key's auth header, issued once the KPI service knows the organisation
    (its event travels on another partition than the project's)."""
    issued: list[str] = []

    async def issue() -> bool:
        response = await client.post(
            "/v1/api-keys", json={"organisation_id": organisation_id, "name": "CRM"}, headers=staff
        )
        if response.status_code == 201:
            issued.append(response.json()["key"])
        return bool(issued)

    await eventually(issue, timeout_s=30)
    return {"Authorization": f"Bearer {issued[0]}"}
