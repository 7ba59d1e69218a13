"""PostgreSQL cut off from the KPI service (API and worker) for 10 s mid-load: requests fail
cleanly with 503 and Retry-After, never 500; the service is ready again soon after; every
report answered 2xx is stored exactly once, the refused ones go in when the partner retries
with its idempotency keys, and every projection converges on what was accepted."""

import asyncio
import secrets
import time
from urllib.parse import urlsplit, urlunsplit

from shared.auth import Role
from tests.conftest import AuthHeaders
from tests.faults.platform_load import Load, PlatformDatabases, running_platform
from tests.faults.tcp_proxy import TcpProxy
from tests.infra import BrokerUnderTest
from tests.kafka_helpers import eventually

CUT_S = 10.0
ROUNDS = 8


def through(url: str, proxy: TcpProxy) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host))


async def test_the_database_away_10_s_mid_load_answers_503_and_loses_nothing(
    broker: BrokerUnderTest, platform_dbs: PlatformDatabases, auth: AuthHeaders
) -> None:
    target = urlsplit(platform_dbs.kpi)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    group = f"test-{secrets.token_hex(3)}."
    try:
        async with running_platform(
            platform_dbs,
            broker.bootstrap_servers,
            group,
            kpi_database=through(platform_dbs.kpi, proxy),
        ) as platform:
            load = Load(platform, auth(Role.ADMIN))
            await load.setup()
            ready_after: list[float] = []

            async def ready() -> bool:
                return (await platform.kpi.client.get("/readyz")).status_code == 200

            async def fault() -> None:
                await asyncio.sleep(2.0)
                await proxy.cut()
                await asyncio.sleep(CUT_S)
                await proxy.restore()
                restored = time.monotonic()
                await eventually(ready, timeout_s=30, interval_s=0.2)
                ready_after.append(time.monotonic() - restored)

            await asyncio.gather(load.run(ROUNDS, pause_s=2.0), fault())
            statuses = set(load.ledger.statuses)
            assert statuses <= {200, 503}, statuses  # never a 500, never anything else
            refused, sent = len(load.ledger.refused), len(load.ledger.statuses)
            assert refused, "the cut should have refused some requests"
            assert load.ledger.without_retry_after == 0
            ready_s = ready_after[0]
            assert ready_s < 10, ready_s
            await load.retry_refused()
            converged_s = await load.converged(platform_dbs)
            print(
                f"database cut {CUT_S:.0f} s: {refused} of {sent} batch requests got 503 and "
                f"went in on retry; ready {ready_s:.1f} s after; "
                f"{load.ledger.reports_accepted} reports, {len(load.ledger.returns)} returns; "
                f"converged {converged_s:.1f} s after the retries"
            )
            assert load.ledger.reports_accepted == ROUNDS * 20 * 16
    finally:
        await proxy.cut()
