"""Text no service can store or even read — bytes that are not UTF-8, half a surrogate pair
raw (ED A0 80) or escaped (\\ud800), NUL — sent to every write operation of every service
(read from each app's OpenAPI, so new routes are covered), to every query and path parameter
and in headers of every operation, and to every form of the staff portal (signed in, the
four APIs behind it): the answer is a 4xx naming the body or the parameter, never a 5xx.
Raw surrogate bytes used to answer 500 everywhere: Python's JSON reader let them through as
text, and the 422 that echoed them could not be encoded."""

import asyncio
import json
import re
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import UploadFile
from fastapi.routing import APIRoute

from shared.auth import Role, TokenService
from tests.conftest import JWT_SECRET
from tests.security.apps import (
    SERVICES,
    WRITES,
    Operation,
    api_routes,
    migrated_app,
    operations,
)

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


# --- the portal: forms and an upload, signed in, with the four APIs behind it ---------------

IN_FORM = [b"%ED%A0%80", b"%FF", b"caf%E9", b"%00", b"\xed\xa0\x80", b"\xff\xfe"]


async def test_every_portal_form_refuses_or_reads_text_it_cannot_store_never_5xx(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from services.portal.config import PortalSettings
    from services.portal.main import MIGRATIONS
    from services.portal.main import create_app as portal_app
    from services.portal.seed import seed_admin
    from services.portal.services import signed_in
    from services.portal.uow import PortalUnitOfWork
    from shared.migrations import upgrade

    folder = tmp_path_factory.mktemp("portal")
    apis = {name: await asyncio.to_thread(migrated_app, name, folder) for name in SERVICES}
    url = f"sqlite+aiosqlite:///{folder / 'portal.db'}"
    await asyncio.to_thread(upgrade, MIGRATIONS, url)
    settings = PortalSettings(
        database_url=url,
        kafka_bootstrap_servers="127.0.0.1:1",
        jwt_secret=JWT_SECRET,
        secure_cookies=False,
        projects_url="http://projects",
        kpi_url="http://kpi",
        funding_url="http://funding",
        notifications_url="http://notifications",
    )
    portal = portal_app(settings)
    # The portal calls the four real APIs, in this process.
    portal.state.http = httpx.AsyncClient(
        mounts={f"http://{n}": httpx.ASGITransport(app=a) for n, a in apis.items()}
    )
    password = await seed_admin(portal.state.runtime)
    failures = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=portal), base_url="http://portal"
    ) as client:
        signed = await client.post("/login", data={"username": "admin", "password": password})
        assert signed.status_code == 303, signed.text
        runtime = portal.state.runtime
        async with PortalUnitOfWork(runtime.sessions, "test", write=False) as uow:
            who = await signed_in(uow, client.cookies["koers_session"])
        assert who is not None
        posts = [(path, r) for path, r in api_routes(portal) if "POST" in (r.methods or ())]
        posts.sort(key=lambda posted: posted[0] == "/logout")  # signed in until the last
        assert len(posts) > 5, "the portal's forms were not found"
        for path, route in posts:
            for hostile in IN_FORM:
                response, encoded = await _post_form(client, path, route, hostile, who.csrf)
                # NUL in a URL-encoded field: no database stores it, refused before any handler
                nul = encoded and hostile == b"%00"
                if response.status_code >= 500 or (nul and response.status_code != 422):
                    failures.append((path, hostile, response.status_code))
    await portal.state.http.aclose()
    await portal.state.runtime.close()
    for api in apis.values():
        await api.state.runtime.close()
    assert failures == [], failures[:5]


async def _post_form(
    client: httpx.AsyncClient, path: str, route: APIRoute, hostile: bytes, csrf: str
) -> tuple[httpx.Response, bool]:
    """The route's form with the right CSRF token and every other field `hostile`; and
    whether `hostile` went in a URL-encoded field."""
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    fields = [f.alias for f in route.dependant.body_params if f.alias != "csrf"]
    files = [f.alias for f in route.dependant.body_params if f.field_info.annotation is UploadFile]
    if files:
        upload = (b"x\xed\xa0\x80.csv".decode("latin-1"), b"project;period\n" + hostile)
        data = {"csrf": csrf, **{f: hostile.decode("latin-1") for f in fields if f not in files}}
        return await client.post(url, data=data, files=dict.fromkeys(files, upload)), False
    body = b"&".join([b"csrf=" + csrf.encode()] + [f.encode() + b"=" + hostile for f in fields])
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return await client.post(url, content=body, headers=headers), bool(fields)


# --- headers ---------------------------------------------------------------------------------

IN_HEADER = [b"\xff\xfe", b"\xed\xa0\x80", b"caf\xe9", b"km_" + b"\xff" * 40, b"a" * 8000]


async def test_every_operation_refuses_or_reads_headers_it_cannot_read_never_5xx(
    service: tuple[str, Any], admin: dict[str, str]
) -> None:
    """A token or key that is not text, and bytes that are not UTF-8 in the idempotency key,
    the content type's charset and a forwarded address: a 4xx (or ignored), never a 5xx."""
    name, app = service
    signed = admin["Authorization"].encode()
    failures = []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://edge"
    ) as client:
        for operation in operations(app):
            for hostile in IN_HEADER:
                for headers in (
                    [(b"authorization", b"Bearer " + hostile)],
                    [(b"authorization", signed), (b"idempotency-key", hostile)],
                    [(b"authorization", signed), (b"x-forwarded-for", hostile)],
                    [(b"authorization", signed), (b"content-type", b"text/json; x=" + hostile)],
                ):
                    response = await client.request(
                        operation.method, operation.url(), headers=headers, content=b"{}"
                    )
                    if response.status_code >= 500:
                        failures.append((name, str(operation), headers[-1], response.status_code))
    assert failures == [], failures[:5]
