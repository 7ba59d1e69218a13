"""Log lines are JSON that ops can join: service, trace ids, event and project ids."""

import json
import logging

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from shared.telemetry import JsonFormatter, _ServiceName


def test_a_log_line_carries_the_service_the_trace_and_the_ids_given() -> None:
    record = logging.LogRecord("koers", logging.INFO, __file__, 1, "applied %s", ("x",), None)
    record.event_id, record.project_id, record.password = "e-1", "p-1", "secret"
    assert _ServiceName("kpi").filter(record)
    tracer = TracerProvider().get_tracer(__name__)
    with trace.use_span(tracer.start_span("work"), end_on_exit=True) as span:
        line = json.loads(JsonFormatter().format(record))
    assert line["service"] == "kpi" and line["message"] == "applied x"
    assert (line["event_id"], line["project_id"]) == ("e-1", "p-1")
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert "password" not in line  # only the known context fields, never arbitrary extras
