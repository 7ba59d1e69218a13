"""The platform on a three-broker Apache Kafka cluster, as production runs it: every topic
replicated three times with `min.insync.replicas=2`, every producer idempotent with
`acks=all`, and the faults such a cluster has, each mid-load:

- the broker leading the busiest partitions SIGKILLed, and started again later;
- a rolling restart of all three brokers, one at a time, as ops upgrade a cluster;
- one broker cut off (its process paused) for longer than every session timeout.

Each ends with the fault suite's check: every accepted request stored once, every
projection equal to a recomputation; and with every partition fully replicated again.
Run by `make test-kafka` only (ADR 0027).
"""

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator

import pytest
from sqlalchemy import func
from sqlmodel import select

from shared.auth import Role
from shared.contracts.topics import ALL_TOPICS, KPI
from shared.db import OutboxMessage
from shared.messaging.kafka import create_topics
from tests.apache_kafka import (
    KafkaCluster,
    end_offsets,
    fully_replicated,
    kafka_cluster,
    leader_of_busiest,
    pinned_version,
    run_coroutine,
)
from tests.conftest import AuthHeaders
from tests.faults.platform_load import Load, PlatformDatabases, Tally, rows, running_platform
from tests.infra import THREE_BROKERS, production_clients
from tests.kafka_helpers import eventually

pytestmark = pytest.mark.apache_kafka

ROUNDS = 8
MAX_ROUNDS = 16  # a load that goes on while a fault lasts stops here whatever happens
PAUSE_S = 20.0  # longer than the brokers' (9 s) and the consumers' (6 s) session timeouts
TOPICS = [t.name for t in ALL_TOPICS]


@pytest.fixture
def cluster() -> Iterator[KafkaCluster]:
    """Three brokers (each also a KRaft controller) of the version compose pins."""
    with kafka_cluster(pinned_version(), brokers=3) as started, production_clients():
        run_coroutine(create_topics(started.bootstrap_servers, ALL_TOPICS, THREE_BROKERS))
        yield started


async def replicated(cluster: KafkaCluster, timeout_s: float = 120) -> float:
    """Seconds until every partition has all three replicas in sync again."""
    started = time.monotonic()

    async def in_sync() -> bool:
        return await fully_replicated(cluster.bootstrap_servers, TOPICS)

    await eventually(in_sync, timeout_s=timeout_s, interval_s=0.5)
    return time.monotonic() - started


async def load_while(load: Load, fault: Awaitable[None]) -> int:
    """Report rounds, one after another, until `fault` has run its course (at least
    ROUNDS, at most MAX_ROUNDS); the number of rounds run."""
    task = asyncio.ensure_future(fault)
    n = 0
    while n < MAX_ROUNDS and (n < ROUNDS or not task.done()):
        n += 1
        await load.run(1, pause_s=1.0, first=n)
    await task
    return n


async def republished(cluster: KafkaCluster, dbs: PlatformDatabases) -> int:
    """Events on the KPI topic beyond the KPI outbox's rows: those the relay sent again
    after a send it could not confirm (the consumers' inbox drops them)."""
    ends = await end_offsets(cluster.bootstrap_servers, KPI)
    count = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == KPI)
    outbox = await rows(dbs.kpi, count)
    return sum(ends.values()) - int(outbox[0][0])


async def scenario(
    cluster: KafkaCluster,
    dbs: PlatformDatabases,
    auth: AuthHeaders,
    fault: Callable[[Load], Awaitable[None]],
) -> tuple[Tally, int, float, float]:
    """Run the platform load with `fault` beside it; check it converged; return the tally,
    the rounds run, and the seconds to converge and to full replication."""
    group = f"test-{secrets.token_hex(3)}."
    async with running_platform(dbs, cluster.bootstrap_servers, group) as platform:
        load = Load(platform, auth(Role.ADMIN))
        await load.setup()
        rounds = await load_while(load, fault(load))
        assert set(load.ledger.statuses) == {200}  # the outbox keeps the APIs apart
        converged_s = await load.converged(dbs)
        replicated_s = await replicated(cluster)
        tally = await load.tally(dbs)
    assert tally.reports_accepted == rounds * 20 * 16
    assert (tally.lost, tally.twice) == (0, 0)
    return tally, rounds, converged_s, replicated_s


async def test_the_leader_of_the_busiest_partitions_killed_mid_load_and_restarted(
    cluster: KafkaCluster, platform_dbs: PlatformDatabases, auth: AuthHeaders
) -> None:
    victim: list[int] = []

    async def kill_then_restart(load: Load) -> None:
        await asyncio.sleep(8.0)
        victim.append(await leader_of_busiest(cluster.bootstrap_servers, KPI))
        cluster.kill(victim[0])  # no controlled shutdown: leadership moves when missed
        await asyncio.sleep(20.0)
        cluster.launch(victim[0])

    tally, rounds, converged_s, replicated_s = await scenario(
        cluster, platform_dbs, auth, kill_then_restart
    )
    print(
        f"3 brokers, leader {victim[0]} SIGKILLed for 20 s: {tally} ({rounds} rounds); "
        f"converged {converged_s:.1f} s after the load, fully replicated "
        f"{replicated_s:.1f} s after that; "
        f"{await republished(cluster, platform_dbs)} KPI events sent again by the relay"
    )


async def test_a_rolling_restart_of_all_three_brokers_under_load(
    cluster: KafkaCluster, platform_dbs: PlatformDatabases, auth: AuthHeaders
) -> None:
    took: list[float] = []

    async def rolling_restart(load: Load) -> None:
        await asyncio.sleep(5.0)
        for node in cluster.brokers:
            started = time.monotonic()
            await asyncio.to_thread(cluster.shut_down, node.node_id)  # controlled shutdown
            cluster.launch(node.node_id)
            await replicated(cluster)  # the next only once this one has caught up
            took.append(time.monotonic() - started)

    tally, rounds, converged_s, _ = await scenario(cluster, platform_dbs, auth, rolling_restart)
    print(
        f"3 brokers, rolling restart (each down and back in sync in "
        f"{', '.join(f'{t:.0f}' for t in took)} s): {tally} ({rounds} rounds); "
        f"converged {converged_s:.1f} s after the load; "
        f"{await republished(cluster, platform_dbs)} KPI events sent again by the relay"
    )


async def test_one_broker_cut_off_longer_than_the_session_timeout(
    cluster: KafkaCluster, platform_dbs: PlatformDatabases, auth: AuthHeaders
) -> None:
    victim: list[int] = []

    async def cut_off(load: Load) -> None:
        await asyncio.sleep(8.0)
        victim.append(await leader_of_busiest(cluster.bootstrap_servers, KPI))
        cluster.pause(victim[0])
        try:
            await asyncio.sleep(PAUSE_S)
        finally:
            cluster.resume(victim[0])

    tally, rounds, converged_s, replicated_s = await scenario(cluster, platform_dbs, auth, cut_off)
    print(
        f"3 brokers, broker {victim[0]} cut off {PAUSE_S:.0f} s: {tally} ({rounds} rounds); "
        f"converged {converged_s:.1f} s after the load, fully replicated "
        f"{replicated_s:.1f} s after that; "
        f"{await republished(cluster, platform_dbs)} KPI events sent again by the relay"
    )
