"""The embedded default: the whole platform on this machine with one command, no Docker.

Starts the Tansu broker on loopback, creates the topics, migrates a SQLite
database per service under the data folder, seeds the demo programme, starts each
service's API and worker as child processes, prints the URLs, and on Ctrl-C stops
all it started. The broker keeps nothing, so every start republishes the outboxes:
consumers are idempotent and converge on the same state.
"""

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from services.platform import SERVICES, ServiceSpec, run_seed
from shared.auth import Role, TokenService
from shared.broker import EmbeddedBroker, port_open
from shared.config import ServiceSettings
from shared.contracts.topics import ALL_TOPICS
from shared.db import create_engine, session_factory
from shared.messaging.kafka import create_topics
from shared.messaging.outbox import mark_all_unsent
from shared.processes import die_with_parent, port_free


@dataclass
class EmbeddedOptions:
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    broker_port: int = 9092
    ports: dict[str, int] = field(default_factory=dict)
    seed: bool = True


def jwt_secret(data_dir: Path) -> str:
    """A signing key kept in the data folder, so tokens stay valid across runs."""
    path = data_dir / "jwt_secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(spec: ServiceSpec, data_dir: Path) -> str:
    return f"sqlite+aiosqlite:///{(data_dir / f'{spec.name}.db').resolve()}"


def service_env(spec: ServiceSpec, options: EmbeddedOptions, bootstrap: str) -> dict[str, str]:
    p = spec.env_prefix
    return {
        f"{p}DATABASE_URL": database_url(spec, options.data_dir),
        f"{p}KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        f"{p}JWT_SECRET": jwt_secret(options.data_dir),
        f"{p}HOST": options.host,
        f"{p}PORT": str(options.ports.get(spec.name, spec.default_port)),
        **{f"{p}{name}": value for name, value in spec.embedded_env.items()},
        # Where the other services listen (the portal calls their APIs).
        **{
            f"{p}{other.name.upper()}_URL": f"http://{options.host}:"
            f"{options.ports.get(other.name, other.default_port)}"
            for other in SERVICES
        },
    }


async def republish_all(database_url: str) -> int:
    """Mark every outbox row of one service database unsent; returns how many."""
    engine = create_engine(database_url)
    try:
        return await mark_all_unsent(session_factory(engine))
    finally:
        await engine.dispose()


class StopRequested(KeyboardInterrupt):
    """A stop signal reached the runner: whatever it was doing (starting the broker,
    migrating, seeding, waiting) ends where it is, and everything started so far stops.

    A KeyboardInterrupt, because asyncio lets only that (and SystemExit) out of a callback
    or task step: any other exception raised by the signal handler while the event loop
    runs a callback (an aiokafka protocol reading the broker's answer) would be logged and
    swallowed, and start-up would go on as if nothing had been asked."""


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CHILD_GRACE_S = 6.0  # then SIGKILL; with the broker's 2 s all is down within 10 s
BROKER_GRACE_S = 2.0


class _StopOnSignals:
    """The first stop signal raises StopRequested in the main thread, interrupting any
    sleep, wait or event loop; once stopping, further signals are ignored, so that a second
    Ctrl-C cannot cut the clean-up short. Should library code swallow the exception all the
    same, `check` raises it again at the next step of start-up or of the watch."""

    def __init__(self) -> None:
        self.stopping = False
        self.requested: str | None = None

    def install(self) -> None:
        for number in STOP_SIGNALS:
            signal.signal(number, self._received)

    def check(self) -> None:
        if self.requested and not self.stopping:
            raise StopRequested(self.requested)

    def _received(self, number: int, _: object) -> None:
        if not self.stopping and not self.requested:
            self.requested = signal.Signals(number).name
            self.check()


def taken_ports(options: EmbeddedOptions) -> list[tuple[str, int]]:
    """Each (name, port) the platform needs that something else holds now."""
    wanted = [("broker", options.broker_port)] + [
        (spec.name, options.ports.get(spec.name, spec.default_port)) for spec in SERVICES
    ]
    return [(name, port) for name, port in wanted if not port_free(options.host, port)]


def run(options: EmbeddedOptions) -> int:
    """Start everything, print the URLs, and stop everything on SIGINT/SIGTERM/SIGHUP
    (at any moment, start-up included) or when a service process dies."""
    if taken := taken_ports(options):
        for name, port in taken:
            print(
                f"port {port} ({name}) is taken: stop what listens there or choose another "
                f"with --{name}-port",
                file=sys.stderr,
            )
        return 2
    signals = _StopOnSignals()
    signals.install()
    children: list[subprocess.Popen[bytes]] = []
    broker = EmbeddedBroker(
        options.broker_port, options.host, log_path=options.data_dir / "broker.log", owned=True
    )
    try:
        _start(options, broker, children, signals.check)
        return _watch(children, signals.check)
    except StopRequested as stop:
        print(f"{stop}: stopping", flush=True)
        return 0
    finally:
        signals.stopping = True
        _stop(children)
        broker.stop(BROKER_GRACE_S)
        print("stopped", flush=True)
        _exit_if_threads_linger(0 if signals.requested else 1)


def _exit_if_threads_linger(code: int) -> None:
    """Everything the runner started has stopped, but a library thread may be left: aiosqlite
    gives each connection a worker thread that is not a daemon, and a connection a stop
    signal interrupted while it opened is never closed. The interpreter would wait for it
    for ever at exit, so the runner leaves at once instead (its output flushed)."""
    lingering = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
    ]
    if lingering:
        if sys.exc_info()[0] is not None and sys.exc_info()[0] is not StopRequested:
            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _start(
    options: EmbeddedOptions,
    broker: EmbeddedBroker,
    children: list[subprocess.Popen[bytes]],
    check: Callable[[], None],
) -> None:
    """Broker, topics, each service migrated and seeded then started, the seeds that need
    the services running; `children` holds every process as soon as it exists."""
    started = time.monotonic()
    options.data_dir.mkdir(parents=True, exist_ok=True)
    broker.start()
    check()
    asyncio.run(create_topics(broker.bootstrap_servers, ALL_TOPICS))
    check()
    print(f"broker     kafka://{broker.bootstrap_servers} (Tansu, in memory)", flush=True)
    settings_of: dict[str, ServiceSettings] = {}
    for spec in SERVICES:
        env = service_env(spec, options, broker.bootstrap_servers)
        os.environ.update(env)
        settings = spec.settings_class()
        spec.migrate(settings)
        asyncio.run(republish_all(env[f"{spec.env_prefix}DATABASE_URL"]))
        check()
        if options.seed:
            run_seed(spec.seed, settings)
            check()
        _start_service(spec, options, env, children)
        settings_of[spec.name] = settings
    for spec in SERVICES:
        _wait_until_listening(
            options.host, options.ports.get(spec.name, spec.default_port), children, check
        )
    if options.seed:
        for spec in SERVICES:
            run_seed(spec.seed_when_running, settings_of[spec.name])
            check()
    _print_urls(options, time.monotonic() - started)


def _watch(children: list[subprocess.Popen[bytes]], check: Callable[[], None]) -> int:
    """Until a stop signal (StopRequested) or a service process dies (1)."""
    while True:
        check()
        if any(child.poll() is not None for child in children):
            print("a service process stopped; shutting down", file=sys.stderr)
            return 1
        time.sleep(0.2)


def _start_service(
    spec: ServiceSpec,
    options: EmbeddedOptions,
    env: dict[str, str],
    children: list[subprocess.Popen[bytes]],
) -> None:
    """Each of the service's processes, in a session of its own (the terminal's Ctrl-C is
    the runner's to handle) and stopped by the kernel should the runner die."""
    logs = options.data_dir / "logs"
    logs.mkdir(exist_ok=True)
    for role in spec.roles:
        with open(logs / f"{spec.name}-{role}.log", "ab") as log:  # the child has its own
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", spec.module, role],
                    env={**os.environ, **env},
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                    preexec_fn=die_with_parent(),
                )
            )


def _wait_until_listening(
    host: str,
    port: int,
    children: list[subprocess.Popen[bytes]],
    check: Callable[[], None],
    timeout_s: float = 30,
) -> None:
    deadline = time.monotonic() + timeout_s
    while not port_open(host, port):
        check()
        if time.monotonic() > deadline or any(c.poll() is not None for c in children):
            raise RuntimeError(
                f"a service did not start listening on {host}:{port}; see .data/logs"
            )
        time.sleep(0.05)


def _print_urls(options: EmbeddedOptions, seconds: float) -> None:
    for spec in SERVICES:
        port = options.ports.get(spec.name, spec.default_port)
        print(f"{spec.name:<10} http://{options.host}:{port}/docs", flush=True)
    token = TokenService(jwt_secret(options.data_dir)).mint("admin", [Role.ADMIN])
    print(f"admin token (8 h): {token}", flush=True)
    print(
        f"started in {seconds:.1f}s; logs in {options.data_dir}/logs; Ctrl-C stops everything",
        flush=True,
    )


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM to every service process at once; SIGKILL to any still running after the
    grace period."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHILD_GRACE_S
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
