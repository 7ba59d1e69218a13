"""Each service's subscriptions are declared once: what its worker runs is what the platform
runner watches (`ops lag`, the lag gauge), group for group and topic for topic."""

import importlib
from pathlib import Path
from typing import Any

import pytest

from services.platform import SERVICES, ServiceSpec
from shared.messaging.consumer import DeadLetterProcessor, MessageProcessor
from shared.messaging.kafka import OutgoingMessage
from shared.messaging.subscriptions import Subscription, groups, processors
from shared.runtime import ServiceRuntime
from tests.conftest import JWT_SECRET


class NoPublisher:
    async def publish(self, messages: list[OutgoingMessage]) -> None:
        raise AssertionError("nothing is published while building processors")


async def _handler(event: Any, uow: Any) -> None:
    return None


async def _batch(events: list[Any], uow: Any) -> None:
    return None


WORKERS = [s for s in SERVICES if "worker" in s.roles]


@pytest.mark.parametrize("spec", WORKERS, ids=lambda s: s.name)
async def test_the_worker_runs_the_groups_the_platform_watches(
    spec: ServiceSpec, tmp_path: Path
) -> None:
    settings = spec.settings_class(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        kafka_bootstrap_servers="127.0.0.1:1",
        jwt_secret=JWT_SECRET,
    )
    runtime = ServiceRuntime.from_settings(settings)
    try:
        build = importlib.import_module(f"{spec.module}.main").consumers(runtime, settings)
        running = {p.consumer_name: tuple(topics) for p, topics in build(NoPublisher())}
    finally:
        await runtime.close()
    assert running == dict(spec.consumer_groups)


def test_processors_take_the_deployments_prefix_and_keep_the_topics() -> None:
    class Settings:
        consumer_group_prefix = "staging."
        consumer_max_attempts = 5

    declared: tuple[Subscription[Any, Any], ...] = (
        Subscription("svc.a", ("t1",), handlers=lambda _: {"x.v1": _handler}),
        Subscription(
            "svc.b",
            ("t1", "t2"),
            handlers=lambda _: {"y.v1": _handler},
            batch_handler=lambda _: _batch,
        ),
        Subscription("svc.dead", ("t1.dlq",), dead_letters=_handler),
    )
    built = processors(declared, Settings(), object, NoPublisher())  # type: ignore[arg-type]
    assert [(p.consumer_name, t) for p, t in built] == [
        ("staging.svc.a", ["t1"]),
        ("staging.svc.b", ["t1", "t2"]),
        ("staging.svc.dead", ["t1.dlq"]),
    ]
    assert isinstance(built[2][0], DeadLetterProcessor)
    assert not isinstance(built[0][0], DeadLetterProcessor)
    assert all(isinstance(p, MessageProcessor) for p, _ in built)
    assert groups(declared) == {"svc.a": ("t1",), "svc.b": ("t1", "t2"), "svc.dead": ("t1.dlq",)}


def test_a_subscription_has_handlers_or_takes_dead_letters() -> None:
    with pytest.raises(ValueError, match="either handlers or dead_letters"):
        Subscription("svc.none", ("t",))
    with pytest.raises(ValueError, match="either handlers or dead_letters"):
        Subscription("svc.both", ("t",), handlers=lambda _: {}, dead_letters=_handler)
    with pytest.raises(ValueError, match="batch handler"):
        Subscription("svc.batch", ("t",), dead_letters=_handler, batch_handler=lambda _: _batch)
