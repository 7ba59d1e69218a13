"""The worker process: the outbox relay and the service's consumers, stopped by a signal."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from typing import Any

import uvicorn

from shared.http import worker_health_app
from shared.messaging.consumer import KafkaEventConsumer, MessageProcessor
from shared.messaging.kafka import KafkaPublisher, ProducerOptions, make_producer
from shared.messaging.outbox import OutboxRelay
from shared.messaging.progress import LagReader, ProducedMarks
from shared.metrics import CONSUMER_LAG
from shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)

# Given the worker's publisher (for dead letters): the processors to run and their topics.
ConsumerFactory = Callable[[KafkaPublisher], Sequence[tuple[MessageProcessor[Any], list[str]]]]


# A service's own loop beside the consumers (a scheduler, a delivery loop): runs until stop.
Background = Callable[[asyncio.Event], Coroutine[Any, Any, None]]

# How often the worker sets koers_consumer_lag for its groups (scrapes come every 15-30 s).
LAG_GAUGE_INTERVAL_S = 5.0


async def run_worker(
    runtime: ServiceRuntime,
    consumers: ConsumerFactory | None = None,
    stop: asyncio.Event | None = None,
    background: Sequence[Background] = (),
) -> None:
    """Relay this service's outbox and run its consumers (and `background` loops) until
    SIGTERM/SIGINT or `stop`."""
    settings = runtime.settings
    stop = stop or _stop_on_signals()
    producer = make_producer(settings.kafka_bootstrap_servers, ProducerOptions.of(settings))
    await _start_with_retry(producer.start, stop)
    marks = ProducedMarks(settings.kafka_bootstrap_servers)
    publisher = KafkaPublisher(producer, marks)
    relay = OutboxRelay(
        runtime.sessions,
        publisher,
        lock_name=f"{settings.service_name}.outbox",
        service=settings.service_name,
        batch_size=settings.outbox_batch_size,
        poll_interval_s=settings.outbox_poll_interval_s,
    )
    tasks = [asyncio.create_task(relay.run(stop), name="outbox-relay")]
    if runtime.checkpointer is not None:
        tasks.append(asyncio.create_task(runtime.checkpointer.run(stop), name="wal-checkpoints"))
    if settings.worker_health_port is not None:
        tasks.append(asyncio.create_task(_serve_health(runtime, stop), name="health"))
    groups: dict[str, list[str]] = {}
    for processor, topics in consumers(publisher) if consumers else ():
        groups[processor.consumer_name] = topics
        loop = KafkaEventConsumer(
            processor,
            topics,
            settings.kafka_bootstrap_servers,
            settings.kafka_fetch_max_wait_ms,
            settings.kafka_session_timeout_ms,
            settings.consumer_max_records,
        )
        tasks.append(asyncio.create_task(loop.run(stop), name=processor.consumer_name))
    tasks += [
        asyncio.create_task(loop(stop), name=f"background-{i}") for i, loop in enumerate(background)
    ]
    lag_reader = LagReader(settings.kafka_bootstrap_servers)
    if groups:
        gauge = _lag_gauge(lag_reader, groups)
        tasks.append(asyncio.create_task(every(LAG_GAUGE_INTERVAL_S, gauge, stop, "consumer lag")))
    log.info("worker started", extra={"service": settings.service_name})
    try:
        await _until_stopped_or_failed(tasks, stop)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()
        await marks.close()
        await lag_reader.close()
        await runtime.close()


async def every(
    interval_s: float, step: Callable[[], Awaitable[object]], stop: asyncio.Event, name: str
) -> None:
    """Run `step` every `interval_s` until `stop`; a failing step is logged and tried again."""
    while not stop.is_set():
        try:
            await step()
        except Exception:
            log.exception("%s failed; trying again in %.0f s", name, interval_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


def _lag_gauge(reader: LagReader, groups: dict[str, list[str]]) -> Callable[[], Awaitable[None]]:
    """koers_consumer_lag of this worker's groups: produced marks minus committed offsets,
    the figures `ops lag` and /v1/freshness use (shared.messaging.progress)."""

    async def step() -> None:
        for p in await reader.lags(groups):
            CONSUMER_LAG.labels(p.group, p.topic, str(p.partition)).set(p.lag)

    return step


async def _until_stopped_or_failed(tasks: list[asyncio.Task[None]], stop: asyncio.Event) -> None:
    """Return on `stop`; re-raise if any task dies, so the orchestrator restarts the process."""
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    for task in done:
        if task is not stopper and (error := task.exception()) is not None:
            raise error


async def _start_with_retry(start: Callable[[], Awaitable[None]], stop: asyncio.Event) -> None:
    """The broker may come up after us (compose, k8s): keep trying rather than crash-loop."""
    delay = 0.5
    while not stop.is_set():
        try:
            await start()
            return
        except Exception as exc:
            log.warning("broker not reachable yet (%s); retrying in %.1fs", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


class _SignalFreeServer(uvicorn.Server):
    """Leaves SIGTERM to the worker, which stops all its tasks together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_health(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
    config = uvicorn.Config(
        worker_health_app(runtime),
        host=runtime.settings.host,
        port=runtime.settings.worker_health_port or 0,
        log_config=None,
        access_log=False,
    )
    server = _SignalFreeServer(config)
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await serving


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
