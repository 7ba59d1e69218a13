"""KPI intake and aggregation benchmarks, each against a baseline measured in the same run.

    .venv/bin/python -m bench.kpi [--projects 1000] [--indicators 20] [--quarters 16]
        [--database sqlite|postgresql] [--broker embedded|kafka] [--save FIGURES.json]

(a) single-report POST: throughput and p50/p99 latency, against a bare FastAPI endpoint
    validating the same body (both one uvicorn worker, same client, same concurrency);
(b) batch intake in reports/s, against raw aiokafka produce to the same broker: the API
    alone (five batches, the worker not yet started), then as deployed, with the worker
    relaying and aggregating beside it (ten batches; the figure the target is for);
(c) end-to-end lag from an accepted batch to its reports counted in the programme
    aggregate, under (b)'s load, against the broker's own produce-to-consume latency;
(d) GET /v1/aggregates latency with projects x indicators x quarters loaded, against
    the bare endpoint's GET;
(e) rebuild speed of the projection from kpi.events.v1, against raw consumption.
Everything runs on loopback, on the embedded shape (SQLite and the Tansu broker) by
default or on the production shape (`--database postgresql --broker kafka`: PostgreSQL and
one Apache Kafka broker of the version compose pins, the producer set as deployed); see
bench/shape.py. `--save` keeps the figures for `python -m bench.report`, which prints runs
side by side (`make bench` does both shapes).
"""

import argparse
import asyncio
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer
from sqlalchemy import insert

from bench.report import Report
from bench.shape import BROKERS, DATABASES, Shape, open_shape
from services.kpi.access import hash_key
from services.kpi.catalogue import load_catalogue
from services.kpi.main import MIGRATIONS
from services.kpi.models import (
    ApiKey,
    GoalReplica,
    Indicator,
    ProgrammeReplica,
    ProjectGoalReplica,
    ProjectKpi,
    ProjectMemberReplica,
    ProjectReplica,
)
from shared.broker import free_port, port_open
from shared.contracts import kpi as events
from shared.contracts.envelope import CloudEvent
from shared.contracts.topics import ALL_TOPICS, KPI, TopicSpec
from shared.db import create_engine
from shared.messaging.kafka import (
    KafkaPublisher,
    OutgoingMessage,
    ProducerOptions,
    create_topics,
    make_producer,
)
from shared.migrations import upgrade

SECRET = "bench-" + secrets.token_hex(16)
NOW = datetime.now(UTC)
POLL_S = 0.05  # how often (c) reads the programme total
RAW, RTT = "bench.raw", "bench.rtt"
# The baselines' topics, created as Tansu creates an unknown topic (4 partitions): Apache
# Kafka here creates none by itself.
BENCH_TOPICS = (TopicSpec(RAW, 4), TopicSpec(RTT, 4))


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class World:
    """Programme, goal tree, projects, KPIs and a partner key, written straight to the database."""

    def __init__(self, projects: int, indicators: int) -> None:
        self.programme = uuid.uuid4()
        self.line = uuid.uuid4()
        self.goals = [uuid.uuid4() for _ in range(4)]
        self.organisation = uuid.uuid4()
        self.projects = [uuid.uuid4() for _ in range(projects)]
        self.codes = [f"BENCH_{i:02d}" for i in range(indicators)]
        self.key = "km_" + secrets.token_urlsafe(32)

    async def write(self, url: str) -> None:
        await asyncio.to_thread(upgrade, MIGRATIONS, url)
        await load_catalogue(url)
        engine = create_engine(url)
        async with engine.begin() as c:
            await c.execute(
                insert(Indicator),
                [
                    {
                        "code": code,
                        "name_en": code,
                        "unit": "items",
                        "level": "output",
                        "kind": "flow",
                        "direction": "higher_is_better",
                        "decimals_allowed": False,
                        "negative_allowed": False,
                    }
                    for code in self.codes
                ],
            )
            await c.execute(
                insert(ProgrammeReplica),
                [{"id": self.programme, "name": "Bench", "period_start": 2020, "period_end": 2023}],
            )
            await c.execute(
                insert(GoalReplica),
                [
                    {
                        "id": self.line,
                        "programme_id": self.programme,
                        "parent_id": None,
                        "kind": "programme_line",
                        "code": "L",
                        "name": "L",
                    }
                ]
                + [
                    {
                        "id": g,
                        "programme_id": self.programme,
                        "parent_id": self.line,
                        "kind": "goal",
                        "code": f"G{i}",
                        "name": f"G{i}",
                    }
                    for i, g in enumerate(self.goals)
                ],
            )
            await c.execute(
                insert(ProjectReplica),
                [
                    {
                        "id": p,
                        "programme_id": self.programme,
                        "code": f"B{i}",
                        "name": f"B{i}",
                        "lead_organisation_id": self.organisation,
                        "start_date": date(2020, 1, 1),
                        "end_date": date(2023, 12, 31),
                        "status": "running",
                        "version": 1,
                    }
                    for i, p in enumerate(self.projects)
                ],
            )
            await c.execute(
                insert(ProjectMemberReplica),
                [
                    {"project_id": p, "organisation_id": self.organisation, "role": "lead"}
                    for p in self.projects
                ],
            )
            await c.execute(
                insert(ProjectGoalReplica),
                [
                    {"project_id": p, "goal_id": self.goals[i % 4]}
                    for i, p in enumerate(self.projects)
                ]
                + [
                    {"project_id": p, "goal_id": self.goals[(i + 1) % 4]}
                    for i, p in enumerate(self.projects)
                ],
            )
            for start in range(0, len(self.projects), 200):
                await c.execute(
                    insert(ProjectKpi),
                    [
                        {
                            "project_id": p,
                            "indicator_code": code,
                            "frequency": "quarterly",
                            "dimensions": [],
                            "period_targets": {},
                            "updated_by": "bench",
                            "updated_at": NOW,
                        }
                        for p in self.projects[start : start + 200]
                        for code in self.codes
                    ],
                )
            await c.execute(
                insert(ApiKey),
                [
                    {
                        "id": uuid.uuid4(),
                        "organisation_id": self.organisation,
                        "name": "bench",
                        "prefix": self.key[:11],
                        "key_hash": hash_key(self.key, SECRET.encode()),
                        "created_by": "bench",
                        "created_at": NOW,
                    }
                ],
            )
        await engine.dispose()


def quarters(n: int) -> list[str]:
    return [f"{2020 + i // 4}-Q{i % 4 + 1}" for i in range(n)]


def serve(args: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, *args], env={**os.environ, **env}, stdout=out, stderr=out
        )
    deadline = time.monotonic() + 30
    while not port_open("127.0.0.1", port):
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"{args} did not start")
        time.sleep(0.05)
    return process


async def load(
    url: str, bodies: list[dict[str, Any]], headers: dict[str, str], concurrency: int
) -> tuple[float, list[float]]:
    """POST every body with `concurrency` requests in flight; return (requests/s, latencies ms)."""
    latencies: list[float] = []
    queue = list(reversed(bodies))
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                started = time.perf_counter()
                response = await client.post("/v1/reports", json=body)
                latencies.append((time.perf_counter() - started) * 1000)
                assert response.status_code in (200, 201), response.text

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return len(bodies) / (time.perf_counter() - started), latencies


async def get_latencies(
    url: str, path: str, params: dict[str, str], headers: dict[str, str], n: int
) -> list[float]:
    samples = []
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
        for _ in range(n):
            started = time.perf_counter()
            response = await client.get(path, params=params)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
    return samples


async def raw_produce(bootstrap: str, options: ProducerOptions, count: int, size: int) -> float:
    """aiokafka itself (our producer settings, its own partitioner), 1,000 in flight."""
    producer = make_producer(bootstrap, options)
    await producer.start()
    payload = b"x" * size
    keys = [str(i % 64).encode() for i in range(count)]
    started = time.perf_counter()
    for start in range(0, count, 1000):
        sent = [await producer.send(RAW, payload, key=key) for key in keys[start : start + 1000]]
        await asyncio.gather(*sent)
    rate = count / (time.perf_counter() - started)
    await producer.stop()
    return rate


async def broker_round_trip(bootstrap: str, options: ProducerOptions, n: int = 200) -> list[float]:
    """Produce one message, wait until a consumer sees it: the broker's own hop latency."""
    consumer = AIOKafkaConsumer(
        RTT,
        bootstrap_servers=bootstrap,
        group_id=f"rtt-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        fetch_max_wait_ms=100,
        enable_auto_commit=False,
    )
    producer = make_producer(bootstrap, options)
    await asyncio.gather(consumer.start(), producer.start())
    await consumer.getmany(timeout_ms=3000)
    samples = []
    for i in range(n):
        started = time.perf_counter()
        await producer.send_and_wait(RTT, str(i).encode())
        while not await consumer.getmany(timeout_ms=50):
            pass
        samples.append((time.perf_counter() - started) * 1000)
    await asyncio.gather(consumer.stop(), producer.stop())
    return samples


async def raw_consume(bootstrap: str, topic: str, count: int) -> float:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    seen, started = 0, time.perf_counter()
    while seen < count:
        for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
            seen += len(records)
    rate = seen / (time.perf_counter() - started)
    await consumer.stop()
    return rate


async def main(
    shape: Shape,
    tmp: Path,
    report: Report,
    projects: int,
    indicators: int,
    n_quarters: int,
    single: int,
) -> None:
    bootstrap = shape.bootstrap_servers
    children: list[subprocess.Popen[bytes]] = []
    try:
        await create_topics(bootstrap, (*ALL_TOPICS, *BENCH_TOPICS))
        intake_world = World(projects=250, indicators=4)
        intake_url = await shape.database("intake")
        await intake_world.write(intake_url)
        env = {
            **shape.service_env("KPI_"),
            "KPI_DATABASE_URL": intake_url,
            "KPI_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KPI_JWT_SECRET": SECRET,
            "KPI_LOG_LEVEL": "WARNING",
            "KPI_CONSUMER_GROUP_PREFIX": "bench.",
            # the benchmark is one partner sending as fast as it can: no rate limit
            "KPI_REQUESTS_PER_KEY_PER_MINUTE": "100000000",
            "KPI_REQUESTS_PER_ADDRESS_PER_MINUTE": "100000000",
        }
        kpi_port, bare_port = free_port(), free_port()
        children.append(
            serve(
                ["-m", "services.kpi", "api"],
                {**env, "KPI_PORT": str(kpi_port)},
                kpi_port,
                tmp / "kpi-api.log",
            )
        )
        children.append(
            serve(
                [
                    "-m",
                    "uvicorn",
                    "bench.bare_app:app",
                    "--port",
                    str(bare_port),
                    "--log-level",
                    "warning",
                ],
                {},
                bare_port,
                tmp / "bare.log",
            )
        )
        partner = {"Authorization": f"Bearer {intake_world.key}"}

        # (a) single-report POST
        bodies = [
            {
                "project": f"B{(i // 4) % 250}",
                "indicator": intake_world.codes[i % 4],
                "period": "2020-Q1",
                "value": i,
            }
            for i in range(single)
        ]
        bare_rate, bare_lat = await load(f"http://127.0.0.1:{bare_port}", bodies, {}, 16)
        kpi_rate, kpi_lat = await load(f"http://127.0.0.1:{kpi_port}", bodies, partner, 16)
        report.section(f"(a) single POST /v1/reports, {single} requests, 16 in flight")
        report.figure("throughput", kpi_rate, "req/s", bare_rate)
        report.figure(
            "latency p50", pct(kpi_lat, 0.5), "ms", pct(bare_lat, 0.5), lower_is_better=True
        )
        report.figure(
            "latency p99", pct(kpi_lat, 0.99), "ms", pct(bare_lat, 0.99), lower_is_better=True
        )

        # (b) batch intake: first the API alone (the worker stopped, events wait in the
        # outbox), then with the worker relaying and aggregating beside it, as deployed
        raw_rate = await raw_produce(bootstrap, shape.producer_options, 20_000, 400)
        base = f"http://127.0.0.1:{kpi_port}"
        periods = quarters(16)
        alone_rate = await _post_batches(base, partner, intake_world, periods[11:16])
        children.append(
            serve(
                ["-m", "services.kpi", "worker"],
                {**env, "KPI_WORKER_HEALTH_PORT": str(w := free_port())},
                w,
                tmp / "kpi-worker.log",
            )
        )
        await asyncio.sleep(4)  # consumer groups join
        staff = {"Authorization": "Bearer " + _staff_token()}
        async with httpx.AsyncClient(base_url=base, timeout=60, headers=staff) as client:
            counted = await _settled_total(client, str(intake_world.programme))
        accepted_at: list[tuple[Decimal, float]] = []  # (total once counted, when accepted)
        lags: list[float] = []
        watcher = asyncio.create_task(
            _watch(base, staff, str(intake_world.programme), accepted_at, lags)
        )
        batch_rate = await _post_batches(
            base, partner, intake_world, periods[1:11], accepted_at, counted
        )
        await asyncio.wait_for(watcher, 120)
        report.section("(b) batch intake, batches of 1,000 back to back")
        report.figure("API alone", alone_rate, "reports/s", raw_rate)
        report.figure("with worker", batch_rate, "reports/s", raw_rate)
        rtt = await broker_round_trip(bootstrap, shape.producer_options)
        report.section(f"(c) accepted batch -> counted in the programme total, {len(lags)} batches")
        report.figure("lag p50", pct(lags, 0.5), "ms", pct(rtt, 0.5), lower_is_better=True)
        report.figure("lag p99", pct(lags, 0.99), "ms", pct(rtt, 0.99), lower_is_better=True)

        # (e) rebuild speed, and (d) reads on the rebuilt projection
        world = World(projects, indicators)
        options = shape.producer_options
        count = await _produce_reports(bootstrap, options, world, quarters(n_quarters))
        consume_rate = await raw_consume(bootstrap, KPI, count)
        rebuilt_url = await shape.database("rebuilt")
        # the replica the rebuild would have read from projects.events.v1
        await world.write(rebuilt_url)
        events, rate = rebuild_command(bootstrap, rebuilt_url, env)
        report.section(f"(e) rebuild from kpi.events.v1 (the ops command), {events:,} events")
        report.figure("rebuild", rate, "events/s", consume_rate)

        read_port = free_port()
        children.append(
            serve(
                ["-m", "services.kpi", "api"],
                {**env, "KPI_DATABASE_URL": rebuilt_url, "KPI_PORT": str(read_port)},
                read_port,
                tmp / "kpi-read-api.log",
            )
        )
        params = {"programme": str(world.programme)}
        kpi_get = await get_latencies(
            f"http://127.0.0.1:{read_port}", "/v1/aggregates", params, staff, 200
        )
        bare_get = await get_latencies(
            f"http://127.0.0.1:{bare_port}", "/v1/aggregates", {}, {}, 200
        )
        report.section(
            f"(d) GET /v1/aggregates for the programme, "
            f"{projects} projects x {indicators} KPIs x {n_quarters} quarters"
        )
        report.figure(
            "latency p50", pct(kpi_get, 0.5), "ms", pct(bare_get, 0.5), lower_is_better=True
        )
        report.figure(
            "latency p95", pct(kpi_get, 0.95), "ms", pct(bare_get, 0.95), lower_is_better=True
        )
        print(f"\nmean single-POST latency {statistics.mean(kpi_lat):.1f} ms; files in {tmp}")
    finally:
        for child in children:
            child.terminate()
            child.wait(10)


def _staff_token() -> str:
    from shared.auth import Role, TokenService

    return TokenService(SECRET).mint("bench", [Role.ADMIN])


def rebuild_command(bootstrap: str, into: str, env: dict[str, str]) -> tuple[int, float]:
    """`python -m services.kpi rebuild`, as ops run it; its own count and rate."""
    out = subprocess.run(
        [sys.executable, "-m", "services.kpi", "rebuild", "--into", into],
        env={**os.environ, **env, "KPI_KAFKA_BOOTSTRAP_SERVERS": bootstrap},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"and ([\d,]+) KPI events into .*?; ([\d,]+) KPI events/s", out)
    assert found, out
    return int(found[1].replace(",", "")), float(found[2].replace(",", ""))


async def _post_batches(
    base: str,
    partner: dict[str, str],
    world: World,
    periods: list[str],
    accepted_at: list[tuple[Decimal, float]] | None = None,
    counted: Decimal = Decimal(0),
) -> float:
    """One batch per period, each a whole new quarter of the world's cells (value 1), one
    request in flight; reports/s. Each batch's total and time go to `accepted_at`."""
    accepted = 0
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=partner) as client:
        for q in periods:
            items = [
                {"project": f"B{p}", "indicator": code, "period": q, "value": 1}
                for p in range(len(world.projects))
                for code in world.codes
            ]
            response = await client.post("/v1/reports/batch", json={"reports": items})
            accepted += response.json()["accepted"]
            counted += len(items)
            if accepted_at is not None:
                accepted_at.append((counted, time.perf_counter()))
    return accepted / (time.perf_counter() - started)


async def _settled_total(
    client: httpx.AsyncClient, programme: str, timeout_s: float = 120
) -> Decimal:
    """The programme total once the worker has caught up with the backlog: counted (the
    backlog's reports make it positive, so a worker yet to start is not mistaken for one
    that has finished) and unchanged for a second."""
    deadline = time.monotonic() + timeout_s
    before = await _programme_total(client, programme)
    while time.monotonic() < deadline:
        await asyncio.sleep(1)
        now = await _programme_total(client, programme)
        if now == before and now > 0:
            return now
        before = now
    raise TimeoutError(f"the programme total did not settle within {timeout_s:.0f} s")


async def _programme_total(client: httpx.AsyncClient, programme: str) -> Decimal:
    response = await client.get("/v1/aggregates", params={"programme": programme})
    return sum((Decimal(a["total"]["value"]) for a in response.json() if a["total"]), Decimal(0))


async def _watch(
    base: str,
    staff: dict[str, str],
    programme: str,
    accepted_at: list[tuple[Decimal, float]],
    lags: list[float],
) -> None:
    """Poll the programme total; each accepted batch's lag ends when the total reaches it.

    Every 50 ms: each GET costs the API a few milliseconds, which polling every 10 ms took
    from the intake it observes (a third of its time, halving (b)); a lag is therefore
    measured up to 50 ms long, never short."""
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=staff) as client:
        done = 0
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            total = await _programme_total(client, programme)
            now = time.perf_counter()
            while done < len(accepted_at) and total >= accepted_at[done][0]:
                lags.append((now - accepted_at[done][1]) * 1000)
                done += 1
            if done == 10:
                return
            await asyncio.sleep(POLL_S)


async def _produce_reports(
    bootstrap: str, options: ProducerOptions, world: World, periods: list[str]
) -> int:
    producer = make_producer(bootstrap, options)
    await producer.start()
    publisher = KafkaPublisher(producer)
    count, batch = 0, []
    for period in periods:
        for project in world.projects:
            for code in world.codes:
                event = events.ReportSubmitted(
                    project_id=project,
                    indicator_code=code,
                    report_id=uuid.uuid4(),
                    indicator_kind="flow",
                    period=period,
                    dimension_key="",
                    version=1,
                    value=Decimal(3),
                    numerator=None,
                    denominator=None,
                    comment=None,
                    source_ref=None,
                    organisation_id=world.organisation,
                    submitted_by="bench",
                )
                envelope = CloudEvent.wrap(event, source="kpi")
                batch.append(
                    OutgoingMessage(
                        KPI, envelope.subject.encode(), envelope.value(), envelope.headers()
                    )
                )
                if len(batch) == 2000:
                    await publisher.publish(batch)
                    count, batch = count + len(batch), []
    await publisher.publish(batch)
    await producer.stop()
    return count + len(batch)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--quarters", type=int, default=16)
    parser.add_argument("--single", type=int, default=3000, help="requests for (a)")
    parser.add_argument("--database", choices=DATABASES, default="sqlite")
    parser.add_argument("--broker", choices=BROKERS, default="embedded")
    parser.add_argument("--save", type=Path, help="write the figures here (JSON, bench.report)")
    a = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="koers-bench-"))
    with open_shape(a.database, a.broker, folder) as started:
        sizes = {
            "projects": a.projects,
            "indicators": a.indicators,
            "quarters": a.quarters,
            "single": a.single,
        }
        figures = Report(started.label, sizes)
        print(f"bench.kpi on {started.label}")
        asyncio.run(main(started, folder, figures, a.projects, a.indicators, a.quarters, a.single))
    if a.save:
        figures.save(a.save)
