"""The outbox keeps the API writing while the broker is away, and delivers everything after."""

import asyncio
import os
import signal
from collections import defaultdict
from collections.abc import Iterator

import pytest

from shared.broker import EmbeddedBroker, free_port
from shared.contracts.topics import ALL_TOPICS, PROJECTS
from shared.messaging.kafka import create_topics
from shared.messaging.outbox import outbox_backlog
from shared.runtime import ServiceRuntime
from tests.conftest import AuthHeaders, registry_settings
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import collect, eventually

PROJECT_COUNT = 200


@pytest.fixture
def own_broker() -> Iterator[EmbeddedBroker]:
    """A broker of this test's own, since it will be frozen."""
    broker = EmbeddedBroker(free_port()).start()
    asyncio.run(create_topics(broker.bootstrap_servers, ALL_TOPICS))
    yield broker
    if broker.process:
        os.kill(broker.process.pid, signal.SIGCONT)
    broker.stop()


async def test_requests_succeed_while_the_broker_is_frozen_and_every_event_arrives_once_in_order(
    own_broker: EmbeddedBroker, registry_pg_db: str, auth: AuthHeaders
) -> None:
    assert own_broker.process is not None
    h = auth()
    settings = registry_settings(registry_pg_db, own_broker.bootstrap_servers)
    async with running_registry(settings) as registry:
        client, runtime = registry.client, registry.runtime
        lead = await builders.organisation(client, h)
        programme, _, goal = await builders.programme_with_goals(client, h)
        await eventually(lambda: _backlog_is(runtime, 0))

        os.kill(own_broker.process.pid, signal.SIGSTOP)
        project_ids = []
        for _ in range(PROJECT_COUNT):
            project = await builders.project(
                client, h, programme["id"], lead["id"], goal_ids=[goal["id"]]
            )
            response = await client.post(
                f"/v1/projects/{project['id']}/status", json={"status": "submitted"}, headers=h
            )
            assert response.status_code == 200
            project_ids.append(project["id"])
        assert await outbox_backlog(runtime.sessions) > 0  # nothing could leave

        os.kill(own_broker.process.pid, signal.SIGCONT)
        await eventually(lambda: _backlog_is(runtime, 0), timeout_s=90)

    wanted = {pid.encode() for pid in project_ids}
    messages = await collect(
        own_broker.bootstrap_servers,
        PROJECTS,
        done=lambda found: len({dict(m.headers)["ce_id"] for m in found}) >= 2 * PROJECT_COUNT,
        keep=lambda m: m.key in wanted,
        timeout_s=60,
    )
    first_seen: dict[bytes, list[bytes]] = defaultdict(list)
    seen_ids: set[bytes] = set()
    for m in messages:
        event_id = dict(m.headers)["ce_id"]
        if event_id not in seen_ids:  # what an idempotent consumer applies
            seen_ids.add(event_id)
            assert m.key is not None
            first_seen[m.key].append(dict(m.headers)["ce_type"])
    assert len(seen_ids) == 2 * PROJECT_COUNT
    assert all(
        types == [b"projects.project.registered.v1", b"projects.project.status_changed.v1"]
        for types in first_seen.values()
    )
    assert len(first_seen) == PROJECT_COUNT


async def _backlog_is(runtime: ServiceRuntime, expected: int) -> bool:
    return await outbox_backlog(runtime.sessions) == expected
