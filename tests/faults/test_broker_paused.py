"""The broker unreachable for 30 s mid-load (its process paused): partners' reports and
staff changes are still accepted (they wait in the outboxes), and once the broker is back
every projection converges on exactly what was accepted. On the embedded broker, and on
one Apache Kafka broker of each version tested (`make test-kafka`)."""

import asyncio
import secrets
import time

from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.faults.platform_load import Load, PlatformDatabases, running_platform
from tests.infra import BrokerUnderTest
from tests.kafka_helpers import eventually

PAUSE_S = 30.0
ROUNDS = 8


async def test_the_broker_away_30_s_mid_load_loses_and_doubles_nothing(
    broker: BrokerUnderTest, platform_dbs: PlatformDatabases, auth: AuthHeaders
) -> None:
    group = f"test-{secrets.token_hex(3)}."
    async with running_platform(platform_dbs, broker.bootstrap_servers, group) as platform:
        load = Load(platform, auth(Role.ADMIN))
        await load.setup()
        resumed: list[float] = []

        ready_after: list[float] = []

        async def all_ready() -> bool:
            services = (platform.registry, platform.kpi, platform.funding, platform.notifications)
            answers = [await s.client.get("/readyz") for s in services]
            return all(a.status_code == 200 for a in answers)

        async def fault() -> None:
            await asyncio.sleep(3.0)
            broker.pause()
            try:
                await asyncio.sleep(PAUSE_S)
            finally:
                broker.resume()
            resumed.append(time.monotonic())
            await eventually(all_ready, timeout_s=30, interval_s=0.2)
            ready_after.append(time.monotonic() - resumed[0])

        await asyncio.gather(load.run(ROUNDS, pause_s=4.0), fault())
        assert set(load.ledger.statuses) == {200}  # nothing refused while the broker was away
        converged_s = await load.converged(platform_dbs)
        after = time.monotonic() - resumed[0]
        print(f"{broker.name}, broker away {PAUSE_S:.0f} s: {await load.tally(platform_dbs)}")
        print(
            f"broker away {PAUSE_S:.0f} s: {load.ledger.reports_accepted} reports, "
            f"{sum(load.ledger.renames.values())} project changes, "
            f"{len(load.ledger.returns)} returns accepted; all projections equal "
            f"{after:.1f} s after the broker returned (check took {converged_s:.1f} s); "
            f"every API ready {ready_after[0]:.1f} s after"
        )
        assert ready_after[0] < 30
        assert load.ledger.reports_accepted == ROUNDS * 20 * 16
