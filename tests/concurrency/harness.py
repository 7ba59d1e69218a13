"""Requests that arrive at the same moment, at several API instances on one database.

`ApiProcesses` runs a service's API as deployed (`python -m services.<name> api`), several
processes on the same database: replicas behind a load balancer. `send_together` opens one
connection per request first, then lets every request go at once (a barrier), spread over
the instances, so the requests race for real: within a process (its connection pool) and
across processes (SQLite's one write lock, PostgreSQL's row and advisory locks).

`Figures` is what a rule's test saw: requests sent together, accepted, refused by status
code. Each is printed (`pytest -s`) and, with KOERS_CONCURRENCY_REPORT set, appended to
that file as a line of JSON — the figures the ADR and the issue's closing note quote.
"""

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.auth import Role, TokenService
from shared.broker import free_port
from tests.conftest import JWT_SECRET

START_TIMEOUT_S = 60
ANSWER_TIMEOUT_S = 60


@dataclass(frozen=True)
class Call:
    """A request; a `body` that is text (a form) is sent as it is, anything else as JSON."""

    method: str
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """The status and body (JSON, else text) of an answer, and where a redirect points."""

    status: int
    body: Any
    location: str | None = None

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    def reason(self) -> str:
        """What a refusal says: the message, or each field's problem."""
        detail = self.body.get("detail") if isinstance(self.body, dict) else self.body
        if isinstance(detail, list):
            return "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in detail)
        return str(detail)


def staff_headers(*roles: Role, user: str = "racer") -> dict[str, str]:
    token = TokenService(JWT_SECRET).mint(user, roles or (Role.ADMIN,))
    return {"Authorization": f"Bearer {token}"}


class ApiProcesses:
    """`count` processes of one service's API on one database, each on its own port."""

    def __init__(
        self, service: str, database_url: str, count: int, log_dir: Path, **env: str
    ) -> None:
        self.service = service
        self.database_url = database_url
        self.count = count
        self.log_dir = log_dir
        self.env = env
        self.ports: list[int] = []
        self._processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> "ApiProcesses":
        prefix = self.service.upper() + "_"
        for n in range(self.count):
            port = free_port()
            env = {
                **os.environ,
                f"{prefix}DATABASE_URL": self.database_url,
                f"{prefix}JWT_SECRET": JWT_SECRET,
                f"{prefix}HOST": "127.0.0.1",
                f"{prefix}PORT": str(port),
                f"{prefix}KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # the API needs no broker
                f"{prefix}LOG_LEVEL": "WARNING",
                **{prefix + k: v for k, v in self.env.items()},
            }
            log = (self.log_dir / f"{self.service}-api-{n}.log").open("ab")
            self._processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", f"services.{self.service}", "api"],
                    env=env,
                    stdout=log,
                    stderr=log,
                )
            )
            self.ports.append(port)
        for process, port in zip(self._processes, self.ports, strict=True):
            self._wait_until_up(process, port)
        return self

    def _wait_until_up(self, process: subprocess.Popen[bytes], port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{self.service} api exited: see {self.log_dir}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.service} api did not start in {START_TIMEOUT_S} s")

    def stop(self) -> None:
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        self._processes.clear()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.log_dir.glob("*-api-*.log"))


@contextmanager
def api_processes(
    service: str, database_url: str, log_dir: Path, count: int = 2, **env: str
) -> Iterator[ApiProcesses]:
    processes = ApiProcesses(service, database_url, count, log_dir, **env)
    try:
        yield processes.start()
    finally:
        processes.stop()


def send_together(
    ports: Sequence[int], calls: Sequence[Call], then: Mapping[int, Call] | None = None
) -> list[Answer]:
    """Every call on a connection of its own, call i to instance i mod len(ports); all
    connections are opened first, then the requests leave together. Answers in call order.

    `then[i]`, if given, is sent as soon as call i is answered (what a user does next: look
    at the figures once their lock or revocation is done); its answer follows the others."""
    followers = dict(then or {})
    answers: list[Answer | BaseException | None] = [None] * (len(calls) + len(followers))
    barrier = threading.Barrier(len(calls))
    follower_at = {index: len(calls) + n for n, index in enumerate(sorted(followers))}

    def run(index: int, call: Call) -> None:
        try:
            port = ports[index % len(ports)]
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT_S)
            connection.connect()
            barrier.wait(ANSWER_TIMEOUT_S)
            answers[index] = _send(connection, call)
            if index in followers:
                answers[follower_at[index]] = _send(connection, followers[index])
            connection.close()
        except BaseException as exc:  # reported to the test below
            barrier.abort()
            answers[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(ANSWER_TIMEOUT_S * 2)
    found: list[Answer] = []
    for answer in answers:
        if not isinstance(answer, Answer):
            raise AssertionError(f"a request got no answer: {answer!r}")
        found.append(answer)
    return found


def _send(connection: http.client.HTTPConnection, call: Call) -> Answer:
    body = (
        None
        if call.body is None
        else call.body.encode()
        if isinstance(call.body, str)
        else json.dumps(call.body).encode()
    )
    headers = {"Content-Type": "application/json", **call.headers}
    connection.request(call.method, call.path, body=body, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    return Answer(response.status, _parsed(raw), response.getheader("Location"))


def _parsed(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:  # a page
        return raw.decode(errors="replace")


@dataclass
class Figures:
    """What one rule's race came to on one database."""

    rule: str
    database: str
    answers: list[Answer]
    instances: int
    followed: list[Answer] = field(default_factory=list)

    @property
    def accepted(self) -> list[Answer]:
        return [a for a in self.answers if a.accepted]

    @property
    def refused(self) -> list[Answer]:
        return [a for a in self.answers if not a.accepted]

    def by_status(self) -> dict[int, int]:
        return dict(sorted(Counter(a.status for a in self.answers).items()))

    def check(self, refusals: Collection[int] = (409, 422)) -> "Figures":
        """Record the figures; every refusal has one of `refusals` and says why; no 5xx."""
        self.record()
        for answer in self.refused:
            assert answer.status in refusals, (self.rule, answer)
            assert answer.reason(), (self.rule, answer)
        return self

    def record(self) -> None:
        record_figures(
            {
                "rule": self.rule,
                "database": self.database,
                "instances": self.instances,
                "sent": len(self.answers),
                "accepted": len(self.accepted),
                "refused": len(self.refused),
                "statuses": {str(k): v for k, v in self.by_status().items()},
                "reasons": sorted({a.reason()[:160] for a in self.refused}),
            }
        )


def record_figures(line: dict[str, Any]) -> None:
    """Printed, and appended to $KOERS_CONCURRENCY_REPORT when set."""
    print(json.dumps(line))
    report = os.environ.get("KOERS_CONCURRENCY_REPORT")
    if report:
        with Path(report).open("a") as out:
            out.write(json.dumps(line) + "\n")


def race(
    rule: str,
    database: str,
    ports: Sequence[int],
    calls: Sequence[Call],
    then: Mapping[int, Call] | None = None,
) -> Figures:
    """Send `calls` together to the instances; the figures, not yet checked. The answers to
    `then` (see `send_together`) are in `followed`, in the order of their calls."""
    answers = send_together(ports, calls, then)
    figures = Figures(rule, database, answers[: len(calls)], len(ports))
    figures.followed = answers[len(calls) :]
    return figures


def database_kind(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"
