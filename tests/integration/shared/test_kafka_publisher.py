"""The publisher on the real broker: record batches per partition lose, reorder and
misplace nothing, and a message larger than a batch still goes."""

import secrets

from shared.contracts.topics import EVENT_TOPICS, PROJECTS
from shared.messaging.kafka import OutgoingMessage, partition_of
from tests.conftest import Kafka
from tests.kafka_helpers import collect, produce


async def test_every_message_arrives_once_on_its_keys_partition_in_order(kafka: Kafka) -> None:
    run = secrets.token_hex(4)
    keys = [f"{run}-{k}".encode() for k in range(40)]
    sent = [
        OutgoingMessage(
            PROJECTS,
            keys[i % len(keys)],
            f"{i}".encode() + b" " * 600,  # ~3,000 messages span several batches a partition
            [("ce_id", f"{run}-{i}".encode()), ("ce_type", b"bench")],
        )
        for i in range(3000)
    ]
    big = OutgoingMessage(PROJECTS, keys[0], b"B" * 400_000, [("ce_id", f"{run}-big".encode())])
    unkeyed = OutgoingMessage(PROJECTS, None, b"nokey", [("ce_id", f"{run}-nokey".encode())])
    await produce(kafka.bootstrap_servers, [*sent, big, unkeyed])

    ours = {f"{run}-{i}".encode() for i in range(3000)} | {
        f"{run}-big".encode(),
        f"{run}-nokey".encode(),
    }
    found = await collect(
        kafka.bootstrap_servers,
        PROJECTS,
        done=lambda got: len(got) >= len(ours),
        keep=lambda m: dict(m.headers).get("ce_id") in ours,
        timeout_s=60,
    )
    ids = [dict(m.headers)["ce_id"] for m in found]
    assert sorted(ids) == sorted(ours)  # each once
    count = next(t.partitions for t in EVENT_TOPICS if t.name == PROJECTS)
    for m in found:
        if m.key is not None:
            assert m.partition == partition_of(m.key, tuple(range(count)))
    by_key: dict[bytes, list[int]] = {}
    for m in found:
        if m.key is not None and m.value is not None and not m.value.startswith(b"B"):
            by_key.setdefault(m.key, []).append(int(m.value.split()[0]))
    assert all(order == sorted(order) for order in by_key.values())
    first_key = [m for m in found if m.key == keys[0]]
    assert first_key[-1].value == b"B" * 400_000  # sent last of its key, arrived last
