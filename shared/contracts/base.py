"""The base of every event contract: frozen, typed, versioned by its type name."""

from functools import lru_cache
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


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
