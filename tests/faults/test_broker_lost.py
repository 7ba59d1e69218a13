"""The broker restarted empty mid-load (the embedded broker keeps nothing; a Kafka cluster
rebuilt): events not yet consumed are gone. The documented recovery — republish every
outbox (`python -m services republish`) — makes every projection converge on what was
accepted, the load goes on on the new broker, and a KPI projection rebuilt from the new
broker equals the live one."""

import secrets
from pathlib import Path

from services.kpi.rebuild import differences, rebuild
from shared.auth import Role
from shared.broker import EmbeddedBroker, free_port
from shared.contracts.topics import ALL_TOPICS
from shared.messaging.kafka import create_topics
from shared.messaging.outbox import mark_all_unsent
from tests.conftest import AuthHeaders
from tests.faults.platform_load import Load, PlatformDatabases, running_platform

ROUNDS = 8


async def started_broker() -> EmbeddedBroker:
    broker = EmbeddedBroker(free_port()).start()
    await create_topics(broker.bootstrap_servers, ALL_TOPICS)
    return broker


async def test_republishing_the_outboxes_after_the_broker_lost_everything_converges(
    platform_dbs: PlatformDatabases, auth: AuthHeaders, tmp_path: Path
) -> None:
    group = f"test-{secrets.token_hex(3)}."
    first = await started_broker()
    try:
        async with running_platform(platform_dbs, first.bootstrap_servers, group) as platform:
            load = Load(platform, auth(Role.ADMIN))
            await load.setup()
            await load.run(ROUNDS // 2, pause_s=0.2)
    finally:
        first.stop()  # everything on it is gone, consumed or not

    second = await started_broker()
    try:
        async with running_platform(platform_dbs, second.bootstrap_servers, group) as platform:
            load.platform = platform
            services = (platform.registry, platform.kpi, platform.funding, platform.notifications)
            republished = [await mark_all_unsent(s.runtime.sessions) for s in services]
            await load.run(ROUNDS // 2, pause_s=0.2, first=ROUNDS // 2 + 1)
            assert set(load.ledger.statuses) == {200}
            converged_s = await load.converged(platform_dbs)
        rebuilt = f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}"
        await rebuild(second.bootstrap_servers, rebuilt, idle_s=1.5)
        assert await differences(platform_dbs.kpi, rebuilt) == []
        print(
            f"broker lost: {sum(republished)} events republished; "
            f"{load.ledger.reports_accepted} reports; converged {converged_s:.1f} s after the load"
        )
        assert load.ledger.reports_accepted == ROUNDS * 20 * 16
    finally:
        second.stop()
