"""The HTTP edge every service shares: app factory, error mapping, health probes.

Routes raise domain errors; this module alone decides their status codes, so
every service answers 404/409/422/503 the same way and no route maps errors.
"""

import asyncio
import json
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.audit import AuditMiddleware
from shared.db import is_database_outage, ping
from shared.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from shared.messaging.kafka import broker_reachable
from shared.metrics import DEPENDENCY_UP, POOLS, READY, HttpMetrics, metrics_endpoint
from shared.runtime import ServiceRuntime
from shared.telemetry import instrument

log = logging.getLogger(__name__)

RETRY_AFTER_S = 5


class ErrorBody(BaseModel):
    """Every error answer: a message, or (422) a list of {loc, msg, type} per field."""

    detail: Any


# What every route may answer besides its own success, documented once for all.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "no valid token or API key"},
    403: {"model": ErrorBody, "description": "the caller may not do this"},
    404: {"model": ErrorBody, "description": "the thing addressed does not exist"},
    409: {"model": ErrorBody, "description": "clashes with the current state"},
    413: {"model": ErrorBody, "description": "the body is too large"},
    422: {"model": ErrorBody, "description": "bad input: each field and why"},
    429: {"model": ErrorBody, "description": "too many requests; see Retry-After"},
    503: {"model": ErrorBody, "description": "the database is unavailable; see Retry-After"},
}


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def writes(request: Request) -> bool:
    """Whether a request's unit of work will write (it then locks first: ADR 24)."""
    return request.method not in READ_METHODS


def _not_found(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=404, content={"detail": str(exc)})


def _forbidden(_: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=403, content={"detail": str(exc)})


def _conflict(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConflictError)
    return JSONResponse(
        status_code=409,
        content=jsonable_encoder({"detail": str(exc), **exc.detail}),
        headers={"Retry-After": str(exc.retry_after)} if exc.retry_after else None,
    )


def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInputError)
    detail = [{"loc": list(p.loc), "msg": p.msg, "type": p.type} for p in exc.problems]
    return JSONResponse(status_code=422, content={"detail": detail})


def _json_safe(value: Any) -> Any:
    """What a 422 may echo back, as JSON can carry it: an infinite number or NaN as text,
    bytes and half surrogate pairs (which UTF-8 cannot encode) escaped — the answer to bad
    input must not fail on that input."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value if _encodable(value) else value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, dict):
        return {_json_safe(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


async def _request_invalid(_: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, except that no input (1e400, raw bytes, a lone surrogate) can break the
    answer: what cannot be echoed is escaped, and failing that left out."""
    assert isinstance(exc, RequestValidationError)
    errors = _json_safe(list(exc.errors()))
    try:
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})
    except (TypeError, ValueError):  # (UnicodeError is a ValueError)
        bare = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in errors]
        return JSONResponse(status_code=422, content={"detail": jsonable_encoder(bare)})


async def _http_error(request: Request, exc: Exception) -> Response:
    """A body the parser gave up on (nested too deep, say) is bad input: 422, like any other."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
        problem = {
            "loc": ["body"],
            "msg": "the body is not JSON or a form this service can read (nested too deeply?)",
            "type": "json_invalid",
        }
        return JSONResponse(status_code=422, content={"detail": [problem]})
    return await http_exception_handler(request, exc)


def _database_error(request: Request, exc: Exception) -> JSONResponse:
    """A driver error: the database gone mid-statement is a 503; anything else is a bug."""
    if is_database_outage(exc):
        return _database_unavailable(request, exc)
    raise exc


def _database_unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("database unavailable: %s", exc)
    return JSONResponse(
        status_code=503,
        content={"detail": "the database is unavailable; retry shortly"},
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


class RefuseUnstorableText:
    """Text no database can store — the NUL character, or half of a UTF-16 surrogate pair —
    in a JSON body, a query parameter or the path is refused with a 422 naming each place.
    PostgreSQL refused such a statement with a 500, and no partner or member of staff means
    either. In valid UTF-8, JSON carries them only as escapes (\\u0000, \\ud800…), so a
    body is first checked to be UTF-8 (raw surrogate bytes such as ED A0 80 are not: Python's
    JSON reader would have let them through as text) and then scanned for those escapes
    (microseconds), and walked only if one is found."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        places = _unstorable_in_query(scope.get("query_string", b""))
        if _unstorable(scope.get("path", "")):
            places.append(["path"])
        body: bytes | None = None
        if scope.get("method") in ("POST", "PUT", "PATCH") and _is_json(scope):
            body = await _whole_body(receive)
            if (bad_byte := _not_utf8_at(body)) is not None:
                await _not_utf8(bad_byte)(scope, _replay(body), send)
                return
            if b"\\u0000" in body or b"\\ud" in body or b"\\uD" in body:
                places += [["body", *path] for path in _unstorable_paths(body)]
        elif scope.get("method") in ("POST", "PUT", "PATCH") and _is_form(scope):
            body = await _whole_body(receive)
            places += _nul_fields(body, "body")
        if places:
            await _refused(places)(scope, receive if body is None else _replay(body), send)
            return
        await self.app(scope, receive if body is None else _replay(body), send)


class AnswerUnexpectedErrors:
    """A request that fails in a way no handler foresaw (a bug) gets a 500 in JSON, logged
    with its stack trace, on a connection that stays open. Left to the server, the error
    closed the client's keep-alive connection as well, so one bad request also failed the
    requests queued behind it. Once an answer has begun, the error can only end it: then
    the server closes the connection, as before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            if started:
                raise
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            answer = JSONResponse(status_code=500, content={"detail": "internal error"})
            await answer(scope, receive, send)


def _not_utf8_at(body: bytes) -> int | None:
    """The offset of the first byte that is not UTF-8 (strictly: no surrogates), or None.
    A NUL byte counts: JSON text never holds one raw, and it is how Python's JSON reader
    takes a body for UTF-16 or UTF-32, in which a lone surrogate would pass as text."""
    if (nul := body.find(b"\x00")) >= 0:
        return nul
    if body.isascii():
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def _not_utf8(offset: int) -> JSONResponse:
    problem = {
        "loc": ["body"],
        "msg": f"the body is not UTF-8 text: byte {offset} cannot be read",
        "type": "utf8_invalid",
    }
    return JSONResponse(status_code=422, content={"detail": [problem]})


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return b"json" in value.lower()
    return False


def _is_form(scope: Scope) -> bool:
    """A URL-encoded form (the portal's); multipart bodies carry files, NUL bytes and all."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bool(value.lower().startswith(b"application/x-www-form-urlencoded"))
    return False


async def _whole_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _unstorable_in_query(query: bytes) -> list[list[str | int]]:
    return _nul_fields(query, "query")


def _nul_fields(encoded: bytes, where: str) -> list[list[str | int]]:
    """The fields of a query string or URL-encoded form holding NUL. (Percent-decoding makes
    bytes, read as UTF-8 with replacement, so no surrogate can come from one.)"""
    if b"%00" not in encoded and b"\x00" not in encoded:
        return []
    return [
        [where, name]
        for name, value in parse_qsl(encoded.decode("latin-1"), True)
        if "\x00" in name or "\x00" in value
    ]


def _unstorable_paths(body: bytes) -> list[list[str | int]]:
    try:
        document = json.loads(body)
    except ValueError:
        return []  # not JSON: the route's own parsing says so

    def walk(value: Any, path: list[str | int]) -> Iterator[list[str | int]]:
        if isinstance(value, str):
            if _unstorable(value):
                yield path
        elif isinstance(value, dict):
            for k, v in value.items():
                yield from ([*path, k],) if _unstorable(k) else walk(v, [*path, k])
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from walk(v, [*path, i])

    return list(walk(document, []))


def _refused(places: list[list[str | int]]) -> JSONResponse:
    message = "text that cannot be stored: the NUL character (\\u0000) or half a surrogate pair"
    detail = [{"loc": loc, "msg": message, "type": "string_unstorable"} for loc in places]
    return JSONResponse(status_code=422, content={"detail": detail})


def health_router(runtime: ServiceRuntime) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """The process is alive (liveness)."""
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(response: Response) -> dict[str, Any]:
        """Database and broker reachable. Only the database decides readiness.

        With the broker away the API still accepts writes into the outbox, so
        taking the pod out of service would turn an outage we absorb into one
        partners see; the broker's state is reported, not enforced.
        """
        checks = {
            "database": await _check(ping(runtime.engine)),
            "broker": await _check(broker_reachable(runtime.settings.kafka_bootstrap_servers)),
        }
        ready = checks["database"] == "ok"
        _record_readiness(runtime, "api", ready, checks)
        if not ready:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "ready" if ready else "not ready", "checks": checks}

    return router


def _record_readiness(
    runtime: ServiceRuntime, role: str, ready: bool, checks: dict[str, str]
) -> None:
    service = runtime.settings.service_name
    READY.labels(service, role).set(1 if ready else 0)
    for dependency, state in checks.items():
        DEPENDENCY_UP.labels(service, role, dependency).set(1 if state == "ok" else 0)


async def _check(probe: Any, timeout_s: float = 3.0) -> str:
    try:
        await asyncio.wait_for(probe, timeout_s)
    except Exception as exc:
        return f"unavailable: {type(exc).__name__}"
    return "ok"


def create_service_app(
    runtime: ServiceRuntime,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    on_close: Callable[[], Awaitable[None]] | None = None,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        checkpoints = (
            asyncio.create_task(runtime.checkpointer.run(stop), name="wal-checkpoints")
            if runtime.checkpointer is not None
            else None
        )
        yield
        stop.set()
        if checkpoints is not None:
            await checkpoints
        if on_close is not None:
            await on_close()
        await runtime.close()

    app = FastAPI(
        title=title,
        description=description,
        version="1",
        lifespan=lifespan,
        max_body_size=runtime.settings.max_body_bytes,
    )
    app.state.runtime = runtime
    app.state.tokens = runtime.tokens
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ForbiddenError, _forbidden)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(InvalidInputError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    # A lost database is the one fault a request cannot work around: say so, and when to retry.
    for db_error in (OperationalError, InterfaceError, PoolTimeoutError, ConnectionError):
        app.add_exception_handler(db_error, _database_unavailable)
    app.add_exception_handler(DBAPIError, _database_error)
    app.include_router(health_router(runtime))
    for router in routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    app.add_middleware(AnswerUnexpectedErrors)  # innermost: metrics and logs see the 500
    app.add_middleware(AuditMiddleware)
    app.add_middleware(RefuseUnstorableText)
    observe(app, runtime)
    return app


def observe(app: FastAPI, runtime: ServiceRuntime) -> None:
    """Metrics (`/metrics`, request counts and latencies, pool use), a log line per
    request, and — when a tracer is configured — spans for requests and SQL."""
    service = runtime.settings.service_name
    app.add_middleware(HttpMetrics, service=service)
    app.add_route("/metrics", metrics_endpoint, include_in_schema=False)
    POOLS.watch(service, runtime.engine)
    instrument(app, runtime.engine)


def worker_health_app(runtime: ServiceRuntime) -> FastAPI:
    """Probes for a worker: unlike the API, a worker is useless without the broker."""
    app = FastAPI(title=f"{runtime.settings.service_name} worker", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz(response: Response) -> dict[str, Any]:
        checks = {
            "database": await _check(ping(runtime.engine)),
            "broker": await _check(broker_reachable(runtime.settings.kafka_bootstrap_servers)),
        }
        ready = all(v == "ok" for v in checks.values())
        _record_readiness(runtime, "worker", ready, checks)
        if not ready:
            response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "ready" if ready else "not ready", "checks": checks}

    observe(app, runtime)
    return app
