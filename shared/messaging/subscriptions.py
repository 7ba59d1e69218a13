"""A service's subscriptions, declared once (in its `consumers.py`): each consumer group,
named without the deployment's prefix, the topics it reads and the handlers that react.

The service's worker builds its processors from the declaration (`processors`), and the
platform runner reads the same declaration for `ops lag` and the lag gauge (`groups`), so
what runs and what is watched cannot drift apart.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from shared.config import ServiceSettings
from shared.messaging.consumer import (
    BatchHandler,
    DeadLetterProcessor,
    Handler,
    MessageProcessor,
    RawHandler,
)
from shared.messaging.outbox import Publisher
from shared.uow import SqlUnitOfWork

S = TypeVar("S", bound=ServiceSettings)
U = TypeVar("U", bound=SqlUnitOfWork)

Processors = list[tuple[MessageProcessor[Any], list[str]]]


@dataclass(frozen=True)
class Subscription(Generic[S, U]):
    """One consumer group. `handlers` maps event types to reactions, built from the service's
    settings (a reaction may depend on them); `batch_handler` applies a fetched batch in one
    transaction instead. A group of `dead_letters` gets each message as it is, undecoded."""

    group: str
    topics: tuple[str, ...]
    handlers: Callable[[S], Mapping[str, Handler[U]]] | None = None
    batch_handler: Callable[[S], BatchHandler[U]] | None = None
    dead_letters: RawHandler[U] | None = None

    def __post_init__(self) -> None:
        if (self.handlers is None) == (self.dead_letters is None):
            raise ValueError(f"{self.group}: either handlers or dead_letters, not both or none")
        if self.batch_handler is not None and self.handlers is None:
            raise ValueError(f"{self.group}: a batch handler goes with handlers")


def groups(subscriptions: Sequence[Subscription[Any, Any]]) -> dict[str, tuple[str, ...]]:
    """Each group (without the deployment's prefix) and the topics it reads."""
    return {s.group: s.topics for s in subscriptions}


def processors(
    subscriptions: Sequence[Subscription[S, U]],
    settings: S,
    uow: Callable[[], U],
    publisher: Publisher,
) -> Processors:
    """The worker's processors, each with its topics, under the deployment's group prefix."""
    prefix, attempts = settings.consumer_group_prefix, settings.consumer_max_attempts
    built: Processors = []
    for s in subscriptions:
        name = prefix + s.group
        processor: MessageProcessor[Any]
        if s.dead_letters is not None:
            processor = DeadLetterProcessor(name, s.dead_letters, uow, publisher)
        else:
            assert s.handlers is not None  # __post_init__
            batch = s.batch_handler(settings) if s.batch_handler is not None else None
            processor = MessageProcessor(
                name, s.handlers(settings), uow, publisher, attempts, batch_handler=batch
            )
        built.append((processor, list(s.topics)))
    return built
