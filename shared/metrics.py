"""Prometheus metrics: defined here once, named `koers_*`, served at `/metrics`.

Each process (a service's API or its worker) exposes its own; Prometheus scrapes both and
adds them up. Labels are bounded: route templates (never raw paths), topics, partitions,
consumer groups, event types, channels and outcomes — never ids.
"""

import logging
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("koers.http")
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})  # probes would drown the log

HTTP_REQUESTS = Counter(
    "koers_http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "koers_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
REPORTS = Counter(
    "koers_reports_total",
    "KPI report items by outcome (accepted, unchanged, rejected) and rejection reason",
    ["outcome", "reason"],
)
OUTBOX_BACKLOG = Gauge("koers_outbox_backlog", "Outbox rows not yet published", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "koers_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row", ["service"]
)
OUTBOX_PUBLISHED = Counter(
    "koers_outbox_published_total", "Events the outbox relay published", ["service"]
)
CONSUMER_LAG = Gauge(
    "koers_consumer_lag",
    "Records the platform's producers had acknowledged on the partition (the produced mark)"
    " that the group has not committed yet",
    ["group", "topic", "partition"],
)
EVENTS = Counter(
    "koers_events_processed_total",
    "Consumed events by outcome (applied, duplicate, skipped, dead-lettered)",
    ["group", "type", "outcome"],
)
EVENT_FAILURES = Counter(
    "koers_event_failures_total", "Handler attempts that raised", ["group", "type"]
)
DEAD_LETTERS = Counter(
    "koers_dead_letters_total", "Messages sent to a dead-letter topic", ["topic"]
)
READY = Gauge(
    "koers_ready", "1 when the last readiness probe passed, 0 when it failed", ["service", "role"]
)
DEPENDENCY_UP = Gauge(
    "koers_dependency_up",
    "1 when the last probe reached the dependency (database, broker)",
    ["service", "role", "dependency"],
)
DELIVERIES = Counter(
    "koers_notification_deliveries_total",
    "Notification delivery attempts by channel and outcome (delivered, failed, retrying)",
    ["channel", "outcome"],
)


class PoolCollector(Collector):
    """Database connections in use and idle, read from the pool at scrape time."""

    def __init__(self) -> None:
        self._engines: dict[str, AsyncEngine] = {}

    def watch(self, service: str, engine: AsyncEngine) -> None:
        self._engines[service] = engine

    def collect(self) -> Iterable[GaugeMetricFamily]:
        in_use = GaugeMetricFamily(
            "koers_db_pool_connections_in_use", "Connections checked out", labels=["service"]
        )
        idle = GaugeMetricFamily(
            "koers_db_pool_connections_idle", "Connections idle in the pool", labels=["service"]
        )
        for service, engine in self._engines.items():
            pool: Any = engine.sync_engine.pool
            if hasattr(pool, "checkedout"):
                in_use.add_metric([service], pool.checkedout())
                idle.add_metric([service], pool.checkedin())
        yield in_use
        yield idle


POOLS = PoolCollector()
REGISTRY.register(POOLS)


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "gauge": ("",)}


def metric_names() -> set[str]:
    """Every sample name this process can expose (the alert and dashboard tests check
    their queries against it)."""
    names: set[str] = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _route(scope: Scope) -> str:
    """The route template (/v1/projects/{project_id}) the router matched; after the request
    the router has left it in the scope. Paths nothing matched share one label."""
    route = scope.get("route")
    return str(getattr(route, "path", "unmatched"))


class HttpMetrics:
    """ASGI middleware: one count and one latency observation per request."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route, method = _route(scope), scope["method"]
            seconds = time.perf_counter() - started
            HTTP_REQUESTS.labels(self.service, method, route, str(status)).inc()
            HTTP_LATENCY.labels(self.service, method, route).observe(seconds)
            if route not in QUIET_ROUTES:
                log.info(
                    "%s %s %d",
                    method,
                    route,
                    status,
                    extra={
                        "service": self.service,
                        "method": method,
                        "route": route,
                        "status": status,
                        "duration_ms": round(seconds * 1000, 1),
                    },
                )
