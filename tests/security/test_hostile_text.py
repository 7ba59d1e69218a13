"""Text no service can store or even read — bytes that are not UTF-8, half a surrogate pair
raw (ED A0 80) or escaped (\\ud800), NUL — sent to every write operation of every service
(read from each app's OpenAPI, so new routes are covered), and to every query and path
parameter of every operation: the answer is a 4xx naming the body or the parameter, never a
5xx. Raw surrogate bytes used to answer 500 everywhere: Python's JSON reader let them through
as text, and the 422 that echoed them could not be encoded."""

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from shared.auth import Role, TokenService
from tests.conftest import JWT_SECRET
from tests.security.apps import SERVICES, WRITES, Operation, migrated_app, operations

# What a client may put inside a JSON string, and the error each must get.
IN_JSON: dict[str, tuple[bytes, str]] = {
    "raw invalid byte": (b"caf\xe9", "utf8_invalid"),
    "raw truncated sequence": (b"\xc3(", "utf8_invalid"),
    "raw lone high surrogate": (b"\xed\xa0\x80", "utf8_invalid"),
    "raw lone low surrogate": (b"x\xed\xbf\xbfy", "utf8_invalid"),
    "raw NUL byte": (b"a\x00b", "utf8_invalid"),
    "escaped lone high surrogate": (b"\\ud800", "string_unstorable"),
    "escaped lone low surrogate": (b"\\uDFFF", "string_unstorable"),
    "escaped NUL": (b"\\u0000", "string_unstorable"),
}
# The same in a URL (percent-encoded), for query and path parameters.
IN_URL = ["%ED%A0%80", "%FF", "%C3%28", "%00", "caf%E9"]
MARK = "\u2603MARK\u2603"


def _body(operation: Operation, hostile: bytes) -> bytes:
    """A JSON body in the operation's own shape, every top-level field holding `hostile`."""
    schema = operation.body_media().get("application/json", {})
    shape: Any
    if schema.get("type") == "array":
        shape = [MARK]
    elif schema.get("properties"):
        shape = dict.fromkeys(schema["properties"], MARK)
    else:
        shape = {"text": MARK}
    return json.dumps(shape).encode().replace(json.dumps(MARK).encode()[1:-1], hostile)


def _always(value: str) -> Callable[[dict[str, Any]], str]:
    return lambda _: value


@pytest.fixture(scope="module", params=sorted(SERVICES))
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return request.param, migrated_app(request.param, tmp_path_factory.mktemp(request.param))


@pytest.fixture(scope="module")
def admin() -> dict[str, str]:
    return {"Authorization": "Bearer " + TokenService(JWT_SECRET).mint("edge", [Role.ADMIN])}


async def test_every_write_refuses_text_it_cannot_read_with_422(
    service: tuple[str, Any], admin: dict[str, str]
) -> None:
    name, app = service
    writes = list(operations(app, WRITES))
    assert writes, name
    failures = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://edge"
    ) as client:
        for operation in writes:
            for label, (hostile, kind) in IN_JSON.items():
                response = await client.request(
                    operation.method,
                    operation.url(),
                    content=_body(operation, hostile),
                    headers={**admin, "content-type": "application/json"},
                )
                detail = response.json().get("detail") if response.status_code == 422 else None
                if not detail or detail[0]["type"] != kind or detail[0]["loc"][0] != "body":
                    failures.append((str(operation), label, response.status_code, response.text))
    assert failures == [], failures[:5]


async def test_every_parameter_refuses_or_reads_text_it_cannot_store_never_5xx(
    service: tuple[str, Any], admin: dict[str, str]
) -> None:
    name, app = service
    failures = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://edge"
    ) as client:
        for operation in operations(app):
            for hostile in IN_URL:
                urls = [f"{operation.url()}?{q}={hostile}" for q in operation.query_names()]
                if "{" in operation.path:
                    urls.append(operation.url(_always(hostile)))
                for url in urls:
                    response = await client.request(operation.method, url, headers=admin)
                    if response.status_code >= 500:
                        failures.append((name, str(operation), url, response.status_code))
    assert failures == [], failures[:5]


async def test_a_body_that_is_not_json_is_refused_whatever_its_content_type(
    service: tuple[str, Any], admin: dict[str, str]
) -> None:
    """Without a JSON content type the body is not parsed: an operation that needs one says
    it is missing or wrong (4xx)."""
    name, app = service
    failures = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://edge"
    ) as client:
        for operation in operations(app, WRITES):
            for media in ("text/plain", "application/octet-stream", None):
                headers = {**admin, **({"content-type": media} if media else {})}
                response = await client.request(
                    operation.method, operation.url(), content=b"\xed\xa0\x80\xff", headers=headers
                )
                # (an operation that takes no body ignores one: that is accepted)
                refused = 400 <= response.status_code < 500
                if not (refused or (response.is_success and not operation.body_media())):
                    failures.append((name, str(operation), media, response.status_code))
    assert failures == [], failures[:5]
