"""The fault suite's common ground: the platform as deployed (registry, KPI, funding,
notifications, each API with its worker) on PostgreSQL and a real broker, a bounded load of
thousands of KPI reports and project changes through the public APIs, and the one check every
scenario ends with.

The check: every request answered 2xx is in its service's database exactly once, and every
downstream projection — the KPI aggregates, funding's realised outputs, the notifications of
returned reports — equals a recomputation from what was accepted.
"""

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import Executable
from sqlmodel import col, select

from services.funding.main import create_app as funding_app
from services.funding.main import run_worker as funding_worker
from services.funding.models import RealisedOutput
from services.kpi.main import create_app as kpi_app
from services.kpi.main import run_worker as kpi_worker
from services.kpi.models import Report
from services.notifications.main import create_app as notifications_app
from services.notifications.main import run_worker as notifications_worker
from services.notifications.models import Notification
from services.projects.models import Project
from shared.db import create_engine
from tests.conftest import registry_settings
from tests.integration.funding.harness import funding_settings
from tests.integration.kpi.harness import kpi_settings
from tests.integration.notifications.harness import notifications_settings
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key
from tests.running import RunningService, running_service

INDICATOR = "MEETINGS_ORGANISED"  # a flow: the programme total is the sum of every quarter
QUARTERS = [f"{y}-Q{q}" for y in range(2016, 2020) for q in range(1, 5)]
BATCH = 40


@dataclass(frozen=True)
class PlatformDatabases:
    registry: str
    kpi: str
    funding: str
    notifications: str


@dataclass
class Platform:
    registry: RunningService
    kpi: RunningService
    funding: RunningService
    notifications: RunningService
    second_workers: Callable[[], None]


async def idle(stop: asyncio.Event) -> None:
    await stop.wait()


@asynccontextmanager
async def running_platform(
    dbs: PlatformDatabases,
    bootstrap: str,
    group: str,
    kpi_database: str | None = None,
    kpi_worker_here: bool = True,
) -> AsyncIterator[Platform]:
    """Each service's API, and its worker in this event loop (the KPI worker elsewhere when
    `kpi_worker_here` is false); `kpi_database` reaches the KPI database another way."""
    kpi = kpi_settings(
        kpi_database or dbs.kpi, bootstrap, consumer_group_prefix=group, db_pool_size=4
    )
    funding = funding_settings(dbs.funding, bootstrap, consumer_group_prefix=group)
    notifications = notifications_settings(
        dbs.notifications, bootstrap, consumer_group_prefix=group
    )
    async with AsyncExitStack() as stack:
        registry = await stack.enter_async_context(
            running_registry(registry_settings(dbs.registry, bootstrap))
        )
        kpi_service = await stack.enter_async_context(
            running_service(
                kpi_app(kpi),
                (lambda stop: kpi_worker(kpi, stop)) if kpi_worker_here else idle,
            )
        )
        funding_service = await stack.enter_async_context(
            running_service(funding_app(funding), lambda stop: funding_worker(funding, stop))
        )
        notifications_service = await stack.enter_async_context(
            running_service(
                notifications_app(notifications),
                lambda stop: notifications_worker(notifications, stop),
            )
        )
        stop, extra = asyncio.Event(), []

        def second_workers() -> None:
            """Another funding and notifications worker join their groups: a rebalance."""
            extra.append(asyncio.create_task(funding_worker(funding, stop)))
            extra.append(asyncio.create_task(notifications_worker(notifications, stop)))

        try:
            yield Platform(
                registry, kpi_service, funding_service, notifications_service, second_workers
            )
        finally:
            stop.set()
            await asyncio.gather(*extra)


async def rows(url: str, query: Executable) -> list[Any]:
    """Read through the models' column types (amounts are stored as scaled integers)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(query)).all())
    finally:
        await engine.dispose()


@dataclass
class Version:
    number: int
    value: int
    report_id: str
    returned: bool = False


@dataclass
class Ledger:
    """What the platform answered 2xx to: the ground truth of the check."""

    versions: dict[tuple[str, str], list[Version]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    renames: dict[str, int] = field(default_factory=dict)
    returns: set[tuple[str, str, int]] = field(default_factory=set)
    statuses: list[int] = field(default_factory=list)
    refused: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    without_retry_after: int = 0
    reports_accepted: int = 0
    requests: int = 0  # report batches posted, retries included

    def accept(self, result: dict[str, Any]) -> None:
        report = result["report"]
        if report["outcome"] == "unchanged":
            return
        cell = (report["project_id"], report["period"])
        self.versions.setdefault(cell, []).append(
            Version(report["version"], int(Decimal(report["value"])), report["id"])
        )
        self.reports_accepted += 1

    def counted(self, cell: tuple[str, str]) -> int:
        """The latest version not returned counts (ARCHITECTURE: aggregation semantics)."""
        kept = [v for v in self.versions[cell] if not v.returned]
        return max(kept, key=lambda v: v.number).value if kept else 0

    def realised(self, project_id: str) -> int:
        return sum(self.counted(c) for c in self.versions if c[0] == project_id)

    def total(self) -> int:
        return sum(self.counted(c) for c in self.versions)


class Load:
    """A programme with `projects` projects; each round reports every quarter of every project
    (a revision after the first round), renames every project, and returns a few reports."""

    def __init__(self, platform: Platform, staff: dict[str, str], projects: int = 20) -> None:
        self.platform, self.staff, self.project_count = platform, staff, projects
        self.ledger = Ledger()
        self.projects: list[dict[str, Any]] = []
        self.programme_id = ""
        self.partner: dict[str, str] = {}

    async def setup(self) -> None:
        registry, kpi = self.platform.registry.client, self.platform.kpi.client
        lead = await builders.organisation(registry, self.staff)
        programme, _, goal = await builders.programme_with_goals(registry, self.staff)
        self.programme_id = programme["id"]
        for _ in range(self.project_count):
            project = await builders.project(
                registry,
                self.staff,
                programme["id"],
                lead["id"],
                goal_ids=[goal["id"]],
                start_date="2016-01-01",
                end_date="2019-12-31",
            )
            self.projects.append(project)
            self.ledger.names[project["id"]] = project["name"]
            self.ledger.renames[project["id"]] = 0

        async def kpi_knows_projects() -> bool:
            for p in self.projects:
                path = f"/v1/projects/{p['id']}/kpis/{INDICATOR}"
                if (await kpi.put(path, json={}, headers=self.staff)).status_code != 200:
                    return False
            return True

        await eventually(kpi_knows_projects, timeout_s=60, interval_s=0.2)
        self.partner = await partner_key(kpi, self.staff, lead["id"])

    async def report_round(self, n: int) -> None:
        cells = [(p, q) for p in self.projects for q in QUARTERS]
        for start in range(0, len(cells), BATCH):
            items = [
                {"project": p["code"], "indicator": INDICATOR, "period": q, "value": n + i % 7}
                for i, (p, q) in enumerate(cells[start : start + BATCH])
            ]
            await self.send(str(uuid.uuid4()), {"reports": items})

    async def send(self, key: str, body: dict[str, Any]) -> None:
        headers = {**self.partner, "Idempotency-Key": key}
        self.ledger.requests += 1
        try:
            answer = await self.platform.kpi.client.post(
                "/v1/reports/batch", json=body, headers=headers
            )
        except httpx.HTTPError:
            self.ledger.refused.append((key, body))
            return
        self.ledger.statuses.append(answer.status_code)
        if answer.status_code == 503 and not answer.headers.get("Retry-After"):
            self.ledger.without_retry_after += 1
        if answer.status_code != 200:
            self.ledger.refused.append((key, body))
            return
        for result in answer.json()["results"]:
            assert result["status"] in (200, 201), result
            self.ledger.accept(result)

    async def retry_refused(self) -> None:
        """The partner retries what was refused, with the same idempotency keys."""
        refused, self.ledger.refused = self.ledger.refused, []
        for key, body in refused:
            await self.send(key, body)
        assert not self.ledger.refused, "a retry after the fault was refused again"

    async def rename_round(self, n: int) -> None:
        for p in self.projects:
            name = f"{p['name'].split(' #')[0]} #{n}"
            answer = await self.platform.registry.client.patch(
                f"/v1/projects/{p['id']}", json={"name": name}, headers=self.staff
            )
            assert answer.status_code == 200, answer.text
            self.ledger.names[p["id"]] = name
            self.ledger.renames[p["id"]] += 1

    async def return_some(self, n: int) -> None:
        """Staff return the newest version of a few cells (a different few each round)."""
        chosen = sorted(self.ledger.versions)[n::37]
        for cell in chosen:
            newest = max(self.ledger.versions[cell], key=lambda v: v.number)
            if newest.returned:
                continue
            answer = await self.platform.kpi.client.post(
                f"/v1/reports/{newest.report_id}/review",
                json={"decision": "return", "reason": "please attach the attendance list"},
                headers=self.staff,
            )
            if answer.status_code == 200:
                newest.returned = True
                self.ledger.returns.add((cell[0], cell[1], newest.number))

    async def run(
        self,
        rounds: int,
        pause_s: float = 0.0,
        during: Callable[[int], Awaitable[None]] | None = None,
        first: int = 1,
    ) -> None:
        for n in range(first, first + rounds):
            if during is not None:
                await during(n)
            await self.report_round(n)
            await self.rename_round(n)
            await self.return_some(n)
            await asyncio.sleep(pause_s)

    async def tally(self, dbs: PlatformDatabases) -> "Tally":
        """The scenario's closing figures: what was sent and accepted, and of the accepted
        report versions how many are missing from the KPI database or stored twice."""
        stored = await self._stored_reports(dbs)
        expected = {
            (pid, period, v.number, v.value)
            for (pid, period), versions in self.ledger.versions.items()
            for v in versions
        }
        return Tally(
            requests=self.ledger.requests,
            answered_200=self.ledger.statuses.count(200),
            reports_accepted=self.ledger.reports_accepted,
            reports_stored=len(stored),
            lost=len(expected - set(stored)),
            twice=len(stored) - len(set(stored)),
        )

    async def _stored_reports(self, dbs: PlatformDatabases) -> list[tuple[str, str, int, int]]:
        stored = await rows(
            dbs.kpi,
            select(Report.project_id, Report.period, Report.version, col(Report.value)).where(
                Report.indicator_code == INDICATOR
            ),
        )
        return [(str(p), q, v, int(Decimal(x))) for p, q, v, x in stored]

    async def differences(self, dbs: PlatformDatabases) -> list[str]:
        """Every way the platform differs from the ledger; [] once it has converged."""
        problems: list[str] = []
        found = await self._stored_reports(dbs)
        expected = {
            (pid, period, v.number, v.value)
            for (pid, period), versions in self.ledger.versions.items()
            for v in versions
        }
        if len(found) != len(expected) or set(found) != expected:
            problems.append(f"KPI reports: {len(found)} stored, {len(expected)} accepted")
        names = await rows(dbs.registry, select(Project.id, Project.name, Project.version))
        for pid, name, version in names:
            if str(pid) in self.ledger.names and (name, version) != (
                self.ledger.names[str(pid)],
                1 + self.ledger.renames[str(pid)],
            ):
                problems.append(f"registry: project {pid} is {name!r} v{version}")
        problems += await self._projections(dbs)
        return problems

    async def _projections(self, dbs: PlatformDatabases) -> list[str]:
        problems = []
        totals = await self.platform.kpi.client.get(
            "/v1/aggregates", params={"programme": self.programme_id}, headers=self.staff
        )
        by_code = {a["indicator_code"]: a for a in totals.json()}
        total = (by_code.get(INDICATOR, {}).get("total") or {}).get("value")
        if total is None or Decimal(total) != self.ledger.total():
            problems.append(f"KPI aggregate {total}, recomputed {self.ledger.total()}")
        realised = await rows(
            dbs.funding,
            select(RealisedOutput.project_id, col(RealisedOutput.realised)).where(
                RealisedOutput.indicator_code == INDICATOR
            ),
        )
        held = {str(p): int(r or 0) for p, r in realised}
        wanted = {p["id"]: self.ledger.realised(p["id"]) for p in self.projects}
        wrong = {p: (held.get(p), w) for p, w in wanted.items() if held.get(p) != w}
        if wrong:
            problems.append(f"funding's realised outputs (held, recomputed) differ: {wrong}")
        notified = await rows(
            dbs.notifications,
            select(Notification.project_id, Notification.data).where(
                Notification.rule == "report_returned"
            ),
        )
        returns = [_returned(project_id, data) for project_id, data in notified]
        if len(returns) != len(set(returns)) or set(returns) != self.ledger.returns:
            problems.append(
                f"{len(returns)} returned-report notices, {len(self.ledger.returns)} returns"
            )
        return problems

    async def converged(self, dbs: PlatformDatabases, timeout_s: float = 180) -> float:
        """Seconds until the platform equals the ledger (fails after `timeout_s`)."""
        started, last = time.monotonic(), [""]

        async def same() -> bool:
            last[0] = "; ".join(await self.differences(dbs))
            return not last[0]

        try:
            await eventually(same, timeout_s=timeout_s, interval_s=0.5)
        except AssertionError:
            raise AssertionError(f"not converged: {last[0]}") from None
        return time.monotonic() - started


@dataclass(frozen=True)
class Tally:
    requests: int
    answered_200: int
    reports_accepted: int
    reports_stored: int
    lost: int
    twice: int

    def __str__(self) -> str:
        return (
            f"{self.requests} report batches sent, {self.answered_200} answered 200; "
            f"{self.reports_accepted} reports accepted, {self.reports_stored} stored, "
            f"{self.lost} lost, {self.twice} twice"
        )


def _returned(project_id: Any, data: Any) -> tuple[str, str, int]:
    value = data if isinstance(data, dict) else json.loads(data)
    return (str(project_id), value["period"], int(value["version"]))
