"""CloudEvents 1.0 in Kafka binary content mode, plus the W3C trace context.

Attributes travel as ``ce_*`` headers and the event data as the JSON value, so
any Kafka tool can read the payload and any CloudEvents SDK can read the rest.
"""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.base import Event

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


class EnvelopeError(ValueError):
    """A message that is not a CloudEvent we can read: it belongs in the DLQ."""


def binary_headers(
    event_id: str, source: str, type_: str, subject: str, time: datetime, traceparent: str | None
) -> list[tuple[str, bytes]]:
    """The Kafka headers of a CloudEvent in binary content mode, plus its trace context."""
    headers = [
        ("ce_specversion", SPEC_VERSION.encode()),
        ("ce_id", event_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", type_.encode()),
        ("ce_time", time.isoformat().encode()),
        ("ce_subject", subject.encode()),
        ("content-type", CONTENT_TYPE.encode()),
    ]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    return headers


class CloudEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    data: dict[str, Any]
    traceparent: str | None = None

    @classmethod
    def wrap(cls, event: Event, source: str, traceparent: str | None = None) -> "CloudEvent":
        return cls(
            source=source,
            type=event.type,
            subject=event.key,
            data=event.model_dump(mode="json"),
            traceparent=traceparent,
        )

    def headers(self) -> list[tuple[str, bytes]]:
        return binary_headers(
            self.id, self.source, self.type, self.subject, self.time, self.traceparent
        )

    def value(self) -> bytes:
        return json.dumps(self.data, separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_kafka(
        cls, headers: list[tuple[str, bytes]] | tuple[Any, ...], value: bytes | None
    ) -> "CloudEvent":
        """Read a message; raise EnvelopeError for anything that is not a well-formed event."""
        try:
            h = {k: v.decode() for k, v in headers if v is not None}
        except (UnicodeDecodeError, ValueError) as exc:
            raise EnvelopeError(f"undecodable header: {exc}") from exc
        missing = [n for n in ("ce_id", "ce_source", "ce_type", "ce_subject") if n not in h]
        if missing:
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}")
        if h.get("ce_specversion") != SPEC_VERSION:
            raise EnvelopeError(f"unsupported specversion {h.get('ce_specversion')!r}")
        try:
            data = json.loads(value or b"")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EnvelopeError(f"body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise EnvelopeError("body is not a JSON object")
        try:
            return cls(
                id=h["ce_id"],
                source=h["ce_source"],
                type=h["ce_type"],
                subject=h["ce_subject"],
                time=datetime.fromisoformat(h["ce_time"]) if "ce_time" in h else datetime.now(UTC),
                data=data,
                traceparent=h.get("traceparent"),
            )
        except ValueError as exc:
            raise EnvelopeError(str(exc)) from exc
