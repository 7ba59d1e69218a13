"""The four APIs as the edge tests drive them: migrated on SQLite, reference data loaded, and
their operations read from each app's own OpenAPI document, so that a route added later is
tested without anyone listing it here."""

import asyncio
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from services.funding.main import MIGRATIONS as FUNDING
from services.funding.main import create_app as funding_app
from services.funding.rules_data import load_ceilings
from services.kpi.catalogue import load_catalogue
from services.kpi.main import MIGRATIONS as KPI
from services.kpi.main import create_app as kpi_app
from services.notifications.main import MIGRATIONS as NOTIFICATIONS
from services.notifications.main import create_app as notifications_app
from services.notifications.main import rule_settings
from services.projects.main import MIGRATIONS as PROJECTS
from services.projects.main import create_app as projects_app
from shared.migrations import upgrade
from tests.conftest import registry_settings
from tests.integration.funding.harness import funding_settings
from tests.integration.kpi.harness import kpi_settings
from tests.integration.notifications.harness import notifications_settings

SERVICES: dict[str, tuple[Path, Callable[[str], FastAPI], Any]] = {
    "projects": (PROJECTS, lambda url: projects_app(registry_settings(url)), None),
    "kpi": (KPI, lambda url: kpi_app(kpi_settings(url)), load_catalogue),
    "funding": (FUNDING, lambda url: funding_app(funding_settings(url)), load_ceilings),
    "notifications": (
        NOTIFICATIONS,
        lambda url: notifications_app(notifications_settings(url)),
        rule_settings,
    ),
}
WRITES = ("post", "put", "patch")


def migrated_app(name: str, folder: Path) -> FastAPI:
    """The service's app on a fresh SQLite database holding its reference data."""
    migrations, create, load = SERVICES[name]
    url = f"sqlite+aiosqlite:///{folder / name}.db"
    upgrade(migrations, url)
    if load is not None:
        asyncio.run(load(url))
    return create(url)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the template, as in the schema
    spec: dict[str, Any]
    document: dict[str, Any]  # the whole OpenAPI document, for its $refs

    def url(self, value: Callable[[dict[str, Any]], str] | None = None) -> str:
        """The path with each parameter filled: by `value(parameter)`, or a plausible value."""
        params = {p["name"]: p for p in self.spec.get("parameters", []) if p["in"] == "path"}
        fill = value or _plausible
        return re.sub(r"\{([^}]+)\}", lambda m: fill(params[m.group(1)]), self.path)

    def query_names(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p["in"] == "query"]

    def body_media(self) -> dict[str, Any]:
        """Media type -> resolved schema of the request body (empty: the route takes none)."""
        content = self.spec.get("requestBody", {}).get("content", {})
        return {media: self.resolve(c.get("schema", {})) for media, c in content.items()}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            node: Any = self.document
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def operations(app: FastAPI, methods: tuple[str, ...] | None = None) -> Iterator[Operation]:
    document = app.openapi()
    for path, item in document["paths"].items():
        for method, spec in item.items():
            if methods is None or method in methods:
                yield Operation(method, path, spec, document)


def api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every route of the app, those of included routers too: FastAPI
    keeps an included router as one entry of `app.routes`, so a plain walk of it finds none
    of their routes (the route tests once passed on no routes at all)."""

    def walk(routes: list[Any], prefix: str) -> Iterator[tuple[str, APIRoute]]:
        for route in routes:
            if isinstance(route, APIRoute):
                yield prefix + route.path, route
            elif hasattr(route, "original_router"):  # fastapi.routing._IncludedRouter
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)

    found = list(walk(list(app.routes), ""))
    assert found, "no routes found: has FastAPI changed how it keeps them?"
    return found


def _plausible(parameter: dict[str, Any]) -> str:
    schema = parameter.get("schema", {})
    if schema.get("format") == "uuid":
        return str(uuid.uuid4())
    if "enum" in schema:
        return str(schema["enum"][0])
    return "X1"
