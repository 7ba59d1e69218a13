"""python -m services.kpi api|worker|migrate, and rebuild (see services/kpi/rebuild.py)."""

import argparse
import asyncio
import sys

from services.kpi.config import KpiSettings
from services.kpi.main import create_app, migrate, run_worker
from shared.cli import service_main
from shared.runtime import tune_garbage_collector


def rebuild_main(argv: list[str]) -> int:
    from services.kpi import rebuild

    parser = argparse.ArgumentParser(prog="python -m services.kpi rebuild")
    parser.add_argument("--into", default=rebuild.default_target(), help="a fresh database URL")
    parser.add_argument(
        "--compare", action="store_true", help="compare with KPI_DATABASE_URL's projection"
    )
    parser.add_argument(
        "--idle", type=float, default=2.0, help="seconds without messages that end a topic"
    )
    args = parser.parse_args(argv)
    settings = KpiSettings()
    tune_garbage_collector()  # a batch job: throughput first
    stats = asyncio.run(rebuild.rebuild(settings.kafka_bootstrap_servers, args.into, args.idle))
    print(
        f"replayed {stats.registry_events} registry and {stats.kpi_events} KPI events "
        f"into {args.into}; {stats.kpi_events_per_second:,.0f} KPI events/s; "
        f"{stats.skipped} unreadable skipped"
    )
    if not args.compare:
        return 0
    found = asyncio.run(rebuild.differences(settings.database_url, args.into))
    print("\n".join(found) if found else "the rebuilt projection equals the live one")
    return 1 if found else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["rebuild"]:
        sys.exit(rebuild_main(sys.argv[2:]))
    service_main(KpiSettings, create_app, run_worker, migrate)
