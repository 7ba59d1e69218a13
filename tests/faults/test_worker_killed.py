"""Two instances of each worker in one consumer group. The KPI workers run as processes of
their own; one is killed with SIGKILL mid-load (its partitions move to the other: a
rebalance), then started again (another rebalance); a second funding and notifications
worker join mid-load (rebalances too). Every projection ends equal to what was accepted."""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

from shared.auth import Role
from shared.broker import free_port
from tests.conftest import JWT_SECRET, AuthHeaders
from tests.faults.platform_load import Load, PlatformDatabases, running_platform
from tests.infra import BrokerUnderTest

ROUNDS = 8


def kpi_worker(database_url: str, bootstrap: str, group: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "KPI_DATABASE_URL": database_url,
        "KPI_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KPI_JWT_SECRET": JWT_SECRET,
        "KPI_CONSUMER_GROUP_PREFIX": group,
        "KPI_WORKER_HEALTH_PORT": str(free_port()),
        "KPI_LOG_LEVEL": "WARNING",
    }
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "services.kpi", "worker"], env=env, stdout=out, stderr=out
    )


async def test_workers_killed_and_rebalanced_mid_load_lose_and_double_nothing(
    broker: BrokerUnderTest, platform_dbs: PlatformDatabases, auth: AuthHeaders, tmp_path: Path
) -> None:
    group = f"test-{secrets.token_hex(3)}."
    bootstrap = broker.bootstrap_servers

    def start(name: str) -> subprocess.Popen[bytes]:
        return kpi_worker(platform_dbs.kpi, bootstrap, group, tmp_path / f"{name}.log")

    workers = [start("w0"), start("w1")]
    killed_at = [0.0]
    try:
        async with running_platform(
            platform_dbs, bootstrap, group, kpi_worker_here=False
        ) as platform:
            load = Load(platform, auth(Role.ADMIN))
            await load.setup()

            async def faults(n: int) -> None:
                if n == 3:  # mid-load: killed without a chance to commit or leave the group
                    workers[0].send_signal(signal.SIGKILL)
                    workers[0].wait()
                    killed_at[0] = time.monotonic()
                    platform.second_workers()
                if n == 6:
                    workers[0] = start("w0-again")

            await load.run(ROUNDS, pause_s=1.0, during=faults)
            assert set(load.ledger.statuses) == {200}
            converged_s = await load.converged(platform_dbs)
            print(f"{broker.name}, worker killed: {await load.tally(platform_dbs)}")
            print(
                f"worker killed: {load.ledger.reports_accepted} reports, "
                f"{sum(load.ledger.renames.values())} project changes, "
                f"{len(load.ledger.returns)} returns; converged {converged_s:.1f} s after the "
                f"load ({time.monotonic() - killed_at[0]:.0f} s after the kill)"
            )
            assert load.ledger.reports_accepted == ROUNDS * 20 * 16
    finally:
        for w in workers:
            w.kill()
            w.wait()
