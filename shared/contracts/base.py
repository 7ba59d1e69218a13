"""The base of every event contract: frozen, typed, versioned by its type name."""

from collections.abc import Mapping
from functools import lru_cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic_core import to_json


class Event(BaseModel):
    """An event's data. Additive changes only within a version; breaking ones get a new type.

    `type` is the CloudEvents type (e.g. ``projects.project.registered.v1``), `topic`
    where the producing service publishes it, and `key_field` which attribute holds the
    aggregate id that becomes the message key and the CloudEvents subject.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: ClassVar[str]
    topic: ClassVar[str]
    key_field: ClassVar[str]

    @property
    def key(self) -> str:
        return _text(getattr(self, self.key_field))


def key_of(event_type: type[Event], fields: Mapping[str, Any]) -> str:
    """The key an event of `event_type` with these fields would have."""
    return _text(fields[event_type.key_field])


def encode_fields(event_type: type[Event], fields: Mapping[str, Any]) -> str:
    """The JSON an event of `event_type` with these fields serializes to, without building
    the event: for fields already checked and typed as the contract types them (UUID,
    Decimal, str, int, date, None), which a batch of reports publishes a thousand times.
    The contract tests hold this equal to `event.model_dump_json()`."""
    return to_json({name: fields[name] for name in event_type.model_fields}).decode()


@lru_cache(maxsize=8192)
def _text(value: object) -> str:
    """The key as text, remembered: a batch's thousand events share a few hundred keys,
    and turning a UUID into text costs a microsecond each time."""
    return str(value)


_REGISTRY: dict[str, type[Event]] = {}


def register(*event_types: type[Event]) -> None:
    """Make event types decodable by name; each contract module registers its own."""
    for event_type in event_types:
        _REGISTRY[event_type.type] = event_type


def event_type_for(name: str) -> type[Event] | None:
    return _REGISTRY.get(name)


def registered_types() -> dict[str, type[Event]]:
    return dict(_REGISTRY)
