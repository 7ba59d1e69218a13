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
import time
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


def run(options: EmbeddedOptions) -> int:
    started = time.monotonic()
    options.data_dir.mkdir(parents=True, exist_ok=True)
    broker = EmbeddedBroker(
        options.broker_port, options.host, log_path=options.data_dir / "broker.log"
    )
    children: list[subprocess.Popen[bytes]] = []
    settings_of: dict[str, ServiceSettings] = {}
    stop_requested = False

    def request_stop(*_: object) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        broker.start()
        asyncio.run(create_topics(broker.bootstrap_servers, ALL_TOPICS))
        print(f"broker     kafka://{broker.bootstrap_servers} (Tansu, in memory)", flush=True)
        for spec in SERVICES:
            env = service_env(spec, options, broker.bootstrap_servers)
            os.environ.update(env)
            settings = spec.settings_class()
            spec.migrate(settings)
            asyncio.run(republish_all(env[f"{spec.env_prefix}DATABASE_URL"]))
            if options.seed:
                run_seed(spec.seed, settings)
            children += _start_service(spec, options, env)
            settings_of[spec.name] = settings
        for spec in SERVICES:
            _wait_until_listening(
                options.host, options.ports.get(spec.name, spec.default_port), children
            )
        if options.seed:
            for spec in SERVICES:
                run_seed(spec.seed_when_running, settings_of[spec.name])
        _print_urls(options, time.monotonic() - started)
        while not stop_requested:
            if any(child.poll() is not None for child in children):
                print("a service process stopped; shutting down", file=sys.stderr)
                return 1
            time.sleep(0.2)
        return 0
    finally:
        _stop(children)
        broker.stop()
        print("stopped", flush=True)


def _start_service(
    spec: ServiceSpec, options: EmbeddedOptions, env: dict[str, str]
) -> list[subprocess.Popen[bytes]]:
    logs = options.data_dir / "logs"
    logs.mkdir(exist_ok=True)
    processes = []
    for role in spec.roles:
        log = open(logs / f"{spec.name}-{role}.log", "ab")  # noqa: SIM115 - lives as long as the child
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", spec.module, role],
                env={**os.environ, **env},
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        )
    return processes


def _wait_until_listening(
    host: str, port: int, children: list[subprocess.Popen[bytes]], timeout_s: float = 30
) -> None:
    deadline = time.monotonic() + timeout_s
    while not port_open(host, port):
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
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for child in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
