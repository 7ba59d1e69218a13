"""CloudEvents 1.0 in Kafka binary content mode, plus the W3C trace context.

Attributes travel as ``ce_*`` headers and the event data as the JSON value, so
any Kafka tool can read the payload and any CloudEvents SDK can read the rest.
"""

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_json

from shared.contracts.base import Event
from shared.ids import new_event_id

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"


def _time_text(time: datetime) -> bytes:
    """Events written in one transaction share their time: formatted once."""
    return _formatted(time, time.utcoffset())


@lru_cache(maxsize=1024)
def _formatted(time: datetime, _offset: object) -> bytes:
    return time.isoformat().encode()


class EnvelopeError(ValueError):
    """A message that is not a CloudEvent we can read: it belongs in the DLQ."""


class Attributes(NamedTuple):
    """A CloudEvent's attributes, read from a message's headers alone: consumers parse the
    data once, straight into its contract (`Event.model_validate_json`). A named tuple:
    a consumer reads one per message."""

    id: str
    source: str
    type: str
    subject: str
    time: datetime
    traceparent: str | None

    @classmethod
    def from_headers(cls, headers: Iterable[tuple[str, bytes | None]]) -> "Attributes":
        """Raise EnvelopeError unless the headers make a CloudEvents 1.0 binary-mode event."""
        return cls.from_header_map(header_map(headers))

    @classmethod
    def from_header_map(cls, h: Mapping[str, bytes | None]) -> "Attributes":
        """As `from_headers`, from `header_map`'s mapping (read once per message)."""
        try:
            event_id, source, type_, subject = (
                h["ce_id"],
                h["ce_source"],
                h["ce_type"],
                h["ce_subject"],
            )
        except KeyError:
            needed = ("ce_id", "ce_source", "ce_type", "ce_subject")
            missing = [n for n in needed if h.get(n) is None]
            raise EnvelopeError(f"missing CloudEvents headers: {', '.join(missing)}") from None
        if h.get("ce_specversion") != _SPEC_VERSION[1]:
            raise EnvelopeError(f"unsupported specversion {h.get('ce_specversion')!r}")
        raw_time, traceparent = h.get("ce_time"), h.get("traceparent")
        try:
            return cls(
                event_id.decode(),  # type: ignore[union-attr]
                source.decode(),  # type: ignore[union-attr]
                type_.decode(),  # type: ignore[union-attr]
                subject.decode(),  # type: ignore[union-attr]
                _parsed_time(raw_time) if raw_time is not None else datetime.now(UTC),
                traceparent.decode() if traceparent is not None else None,
            )
        except (UnicodeDecodeError, AttributeError) as exc:
            raise EnvelopeError(f"undecodable header: {exc}") from exc
        except ValueError as exc:
            raise EnvelopeError(f"bad ce_time: {exc}") from exc


def header_map(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, bytes | None]:
    """A message's headers by name (the last of a repeated one), without a header that
    has no value; built once per message, in C."""
    h = dict(headers)
    if None in h.values():
        h = {k: v for k, v in h.items() if v is not None}
    return h


_SPEC_VERSION = ("ce_specversion", SPEC_VERSION.encode())
_CONTENT_TYPE = ("content-type", CONTENT_TYPE.encode())


def binary_headers(
    event_id: str, source: str, type_: str, subject: str, time: datetime, traceparent: str | None
) -> list[tuple[str, bytes]]:
    """The Kafka headers of a CloudEvent in binary content mode, plus its trace context."""
    headers = [
        _SPEC_VERSION,
        ("ce_id", event_id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", type_.encode()),
        ("ce_time", _time_text(time)),
        ("ce_subject", subject.encode()),
        _CONTENT_TYPE,
    ]
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    return headers


@lru_cache(maxsize=1024)
def _parsed_time(raw: bytes) -> datetime:
    """Events of one transaction share their time: parsed once."""
    return datetime.fromisoformat(raw.decode())


class CloudEvent(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=new_event_id)
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
        return to_json(self.data)

    @classmethod
    def from_kafka(
        cls, headers: list[tuple[str, bytes]] | tuple[Any, ...], value: bytes | None
    ) -> "CloudEvent":
        """Read a message; raise EnvelopeError for anything that is not a well-formed event."""
        attributes = Attributes.from_headers(headers)
        try:
            data = json.loads(value or b"")
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise EnvelopeError(f"body is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise EnvelopeError("body is not a JSON object")
        return cls(
            id=attributes.id,
            source=attributes.source,
            type=attributes.type,
            subject=attributes.subject,
            time=attributes.time,
            data=data,
            traceparent=attributes.traceparent,
        )
