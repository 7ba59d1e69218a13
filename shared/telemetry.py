"""Tracing and JSON logs, configured only from the standard OTEL_* variables.

With no exporter configured the global tracer stays the no-op one, so telemetry
costs nothing; the W3C trace context still flows through the outbox and Kafka
headers, so a collector switched on later sees whole traces.
"""

import json
import logging
import os
import random
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from sqlalchemy.ext.asyncio import AsyncEngine

_propagator = TraceContextTextMapPropagator()
# Ids of unsampled traces need to be unique, not secret (and `random` reseeds after a fork).
_random_bits = random.getrandbits
_configured = False


def configure_tracing(service_name: str) -> None:
    """Install an SDK tracer provider when OTEL_TRACES_EXPORTER or an OTLP endpoint asks for one."""
    global _configured
    exporter_name = os.environ.get("OTEL_TRACES_EXPORTER", "")
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
    )
    if _configured or exporter_name == "none" or not (exporter_name or endpoint):
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    exporter: SpanExporter
    if exporter_name == "console":
        # KOERS_TRACES_FILE: write the spans (one JSON document each) to a file instead.
        path = os.environ.get("KOERS_TRACES_FILE")
        out = open(path, "a", encoding="utf-8") if path else sys.stdout  # noqa: SIM115
        exporter = ConsoleSpanExporter(out=out)
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", service_name)})
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _configured = True


_httpx_instrumented = False


def instrument(app: Any, engine: AsyncEngine) -> None:
    """Spans for a service's requests, SQL and outgoing HTTP — only when a tracer is set up,
    so that without one there is no instrumentation at all."""
    global _httpx_instrumented
    if not tracing_enabled():
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    # The engine's own listeners (the instrumentor's global switch would only reach engines
    # created after it, and only once per process; tests run several services in one).
    usage = get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    sql_tracer = trace.get_tracer("opentelemetry.instrumentation.sqlalchemy")
    EngineTracer(sql_tracer, engine.sync_engine, usage)  # type: ignore[no-untyped-call]
    if not _httpx_instrumented:
        HTTPXClientInstrumentor().instrument()
        _httpx_instrumented = True


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)


def tracing_enabled() -> bool:
    """Whether a real tracer provider is installed; hot paths skip span work otherwise."""
    provider = trace.get_tracer_provider()
    return not isinstance(provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider)


def current_traceparent() -> str | None:
    """The active span's W3C traceparent, to store with an outbox row.

    Written out here rather than through the propagator's carrier: every event asks
    (a batch of reports publishes a thousand), and the format is fixed by the W3C."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def traceparent_for_new_event() -> str:
    """The active trace context, or a fresh unsampled one when nothing is being traced.

    Every event then carries a trace id, so logs of all hops can be joined on it
    even where no tracing backend is configured.
    """
    return current_traceparent() or f"00-{_random_bits(128):032x}-{_random_bits(64):016x}-00"


def context_from_traceparent(traceparent: str | None) -> otel_context.Context:
    if not traceparent:
        return otel_context.Context()
    return _propagator.extract({"traceparent": traceparent})


# Context a log line may carry (given as `extra=`): ids and labels, never payloads or secrets.
LOG_FIELDS = (
    "service",
    "method",
    "route",
    "status",
    "duration_ms",
    "consumer",
    "event_id",
    "event_type",
    "topic",
    "partition",
    "offset",
    "project_id",
    "outcome",
)


class JsonFormatter(logging.Formatter):
    """One JSON object a line, with the trace ids that tie a log line to its trace."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            entry["trace_id"] = format(span_context.trace_id, "032x")
            entry["span_id"] = format(span_context.span_id, "016x")
        for key in LOG_FIELDS:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _ServiceName(logging.Filter):
    """Every line names the service that wrote it, unless the call already did."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        if self.service and not hasattr(record, "service"):
            record.service = self.service
        return True


def configure_logging(level: str = "INFO", service: str = "") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(_ServiceName(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(logging.WARNING)
