"""A bad request ends with its answer, not with the client's connection: over a real server
(uvicorn, as deployed), one keep-alive connection carries hostile text, a null where none is
allowed, an unknown id and even a request that fails unforeseen (a 500), and then a plain
request, without being closed. Uvicorn used to close the connection after every 500."""

import http.client
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from shared.auth import Role, TokenService
from shared.broker import free_port
from tests.conftest import JWT_SECRET
from tests.security.apps import migrated_app


def _fails_unforeseen() -> None:
    raise RuntimeError("a bug no handler foresaw")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, FastAPI]]:
    app = migrated_app("projects", tmp_path)
    # A route with a bug, added to the real app: the one way to reach the unforeseen path.
    app.add_api_route("/v1/broken", _fails_unforeseen, methods=["GET"])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield port, app
    server.should_exit = True
    thread.join(20)


def test_one_connection_outlives_every_kind_of_refusal(served: tuple[int, FastAPI]) -> None:
    port, _ = served
    token = TokenService(JWT_SECRET).mint("edge", [Role.ADMIN])
    json_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    requests: list[tuple[str, str, bytes | None, int]] = [
        ("GET", "/healthz", None, 200),
        ("POST", "/v1/organisations", b'{"name": "\xed\xa0\x80", "kind": "company"}', 422),
        ("POST", "/v1/organisations", b'{"name": "\\ud800", "kind": "company"}', 422),
        ("POST", "/v1/organisations", b'{"name": "Org", "kind": "company"}', 201),
        ("GET", "/v1/organisations/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12, None, 404),
        ("POST", "/v1/projects", b'{"start_date": 0}', 422),
        ("GET", "/v1/broken", None, 500),
        ("GET", "/v1/organisations?name_contains=%ED%A0%80", None, 200),
        ("GET", "/healthz", None, 200),
    ]
    connection.connect()
    socket = connection.sock
    for method, path, body, status in requests:
        connection.request(method, path, body=body, headers=json_headers)
        response = connection.getresponse()
        answer = response.read()
        assert response.status == status, (method, path, response.status, answer[:200])
        assert response.getheader("connection") != "close", (method, path)
        assert connection.sock is socket, f"{method} {path}: the connection was closed"
    connection.close()
