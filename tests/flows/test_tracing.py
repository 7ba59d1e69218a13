"""One trace per partner report and per registry change, across HTTP, the outbox, Kafka and
the consumers: spans recorded in memory while registry and KPI run on the real broker.

The tracer provider is process-wide and can be set once: this module installs one whose
processor records only while a test asks it to.
"""

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider

from shared.auth import Role
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key


class Recorder(SpanProcessor):
    def __init__(self) -> None:
        self.recording = False
        self.spans: list[ReadableSpan] = []

    def on_end(self, span: ReadableSpan) -> None:
        if self.recording:
            self.spans.append(span)

    def trace_of(self, span: ReadableSpan) -> list[ReadableSpan]:
        assert span.context is not None
        return [s for s in self.spans if s.context and s.context.trace_id == span.context.trace_id]


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    recorder = Recorder()
    provider.add_span_processor(recorder)
    recorder.recording = True
    yield recorder
    recorder.recording = False
    recorder.spans.clear()


def named(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def parent_or_link(child: ReadableSpan, parent: ReadableSpan) -> bool:
    assert parent.context is not None
    ids = {child.parent.span_id} if child.parent else set()
    ids |= {link.context.span_id for link in child.links}
    return parent.context.span_id in ids


async def test_a_report_and_a_registry_change_each_make_one_trace(
    recorder: Recorder, kafka: Kafka, registry_pg_db: str, kpi_pg_db: str, auth: AuthHeaders
) -> None:
    staff = auth(Role.ADMIN)
    group = f"test-{secrets.token_hex(3)}."
    kpi_config = kpi_settings(kpi_pg_db, kafka.bootstrap_servers, consumer_group_prefix=group)
    async with (
        running_registry(registry_settings(registry_pg_db, kafka.bootstrap_servers)) as registry,
        running_kpi(kpi_config) as kpi,
    ):
        lead = await builders.organisation(registry.client, staff)
        programme, _, goal = await builders.programme_with_goals(registry.client, staff)
        project = await builders.project(
            registry.client,
            staff,
            programme["id"],
            lead["id"],
            goal_ids=[goal["id"]],
            start_date="2020-01-01",
            end_date="2023-12-31",
        )
        kpis = f"/v1/projects/{project['id']}/kpis"

        async def replica_knows_project() -> bool:
            return (await kpi.client.get(kpis, headers=staff)).status_code == 200

        await eventually(replica_knows_project, timeout_s=40)
        # The registry change: POST /v1/projects → outbox → publish → KPI's replica consumer.
        [registered] = [
            s for s in named(recorder.spans, "POST /v1/projects") if s.kind == trace.SpanKind.SERVER
        ]
        registry_trace = recorder.trace_of(registered)
        [published] = named(registry_trace, "projects.events.v1 publish")
        assert _descends(published, registered, registry_trace)
        consumed = named(registry_trace, "projects.events.v1 process")
        assert consumed and all(parent_or_link(c, published) for c in consumed)

        await kpi.client.put(f"{kpis}/MEETINGS_ORGANISED", json={}, headers=staff)
        partner = await partner_key(kpi.client, staff, lead["id"])
        body = {
            "project": project["code"],
            "indicator": "MEETINGS_ORGANISED",
            "period": "2021-Q1",
            "value": 4,
        }
        assert (await kpi.client.post("/v1/reports", json=body, headers=partner)).status_code == 201

        def report_trace() -> list[ReadableSpan]:
            [posted] = [
                s
                for s in named(recorder.spans, "POST /v1/reports")
                if s.kind == trace.SpanKind.SERVER
            ]
            return recorder.trace_of(posted)

        def hop(name: str, after: ReadableSpan) -> list[ReadableSpan]:
            """Spans (anywhere: a batch span starts its own trace and links to each message's)
            that continue `after`."""
            return [s for s in named(recorder.spans, name) if parent_or_link(s, after)]

        def aggregated() -> list[ReadableSpan]:
            spans = report_trace()
            [posted] = [
                s for s in spans if s.name == "POST /v1/reports" and s.kind == trace.SpanKind.SERVER
            ]
            # The trace goes on past the aggregate (the projection announces what changed),
            # so take the hop that starts at the request.
            published = [
                s for s in named(spans, "kpi.events.v1 publish") if parent_or_link(s, posted)
            ]
            processed = [p for pub in published for p in hop("kpi.events.v1 process", pub)]
            return [a for p in processed for a in hop("kpi aggregate update", p)]

        await eventually(aggregated, timeout_s=30)
        spans = report_trace()
        [aggregate] = aggregated()
        writes = [s for s in spans if s.kind == trace.SpanKind.CLIENT and "INSERT" in s.name]
        assert writes, [s.name for s in spans]  # the database write, from SQLAlchemy
        assert aggregate.attributes is not None
        assert int(str(aggregate.attributes["koers.events"])) >= 1


def _id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


def _descends(child: ReadableSpan, ancestor: ReadableSpan, spans: list[ReadableSpan]) -> bool:
    by_id: dict[int, Any] = {_id(s): s for s in spans}
    cursor: ReadableSpan | None = child
    while cursor is not None and cursor.parent is not None:
        if cursor.parent.span_id == _id(ancestor):
            return True
        cursor = by_id.get(cursor.parent.span_id)
    return False


async def test_a_notification_is_delivered_in_the_trace_of_the_event_that_raised_it(
    recorder: Recorder, notifications_db: str, auth: AuthHeaders
) -> None:
    import uuid

    import httpx

    from services.notifications.consumers import kpi_handlers, registry_handlers
    from services.notifications.delivery import Deliverer
    from shared.contracts import kpi
    from shared.messaging.consumer import MessageProcessor
    from shared.telemetry import current_traceparent
    from tests.integration.notifications.harness import (
        SECRET,
        Clock,
        a_minute_from_now,
        message,
        notifications_api,
        notifications_settings,
        project_registered,
        webhook_receiver,
    )
    from tests.kafka_helpers import ListPublisher

    project, partner = uuid.uuid4(), uuid.uuid4()
    settings = notifications_settings(notifications_db)
    async with webhook_receiver() as receiver, notifications_api(settings) as api:
        subscriber = {
            "kind": "organisation",
            "name": "IBDO BV",
            "organisation_id": str(partner),
            "webhook_url": receiver.url,
            "webhook_secret": SECRET,
        }
        created = await api.client.post(
            "/v1/subscribers", json=subscriber, headers=auth(Role.ADMIN)
        )
        assert created.status_code == 201
        processor = MessageProcessor(
            "test", {**registry_handlers(), **kpi_handlers()}, api.uow, ListPublisher()
        )
        returned = kpi.ReportReturned(
            project_id=project,
            indicator_code="MEETINGS",
            report_id=uuid.uuid4(),
            indicator_kind="flow",
            period="2026-Q2",
            dimension_key="",
            version=1,
            reviewed_by="pm",
            reason="attach the list",
        )
        await processor.process(message(project_registered(project, partner)))
        with trace.get_tracer(__name__).start_as_current_span("kpi.events.v1 publish") as publish:
            received = message(returned, offset=1, traceparent=current_traceparent())
        await processor.process(received)
        async with httpx.AsyncClient() as http:
            await Deliverer(api.uow, settings, http, Clock(a_minute_from_now())).run_once()
    assert len(receiver.accepted) == 1
    [processed] = [
        s
        for s in named(recorder.spans, "kpi.events.v1 process")
        if s.parent and s.parent.span_id == publish.get_span_context().span_id
    ]
    [delivered] = [
        s
        for s in named(recorder.spans, "notification deliver")
        if s.parent and s.parent.span_id == _id(processed)
    ]
    assert delivered.attributes is not None and delivered.attributes["koers.channel"] == "webhook"
