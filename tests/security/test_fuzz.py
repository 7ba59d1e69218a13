"""Every operation of every service's OpenAPI fuzzed with schemathesis, as an admin: no 5xx,
and every answer (status, content type, body) is the one the schema documents. A bounded
number of examples per operation keeps it CI-sized."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

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
from shared.auth import Role, TokenService
from shared.migrations import upgrade
from tests.conftest import JWT_SECRET, registry_settings
from tests.integration.funding.harness import funding_settings
from tests.integration.kpi.harness import kpi_settings
from tests.integration.notifications.harness import notifications_settings

EXAMPLES = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
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


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_operation_fails_or_answers_off_schema(name: str, tmp_path: Path) -> None:
    migrations, create, load = SERVICES[name]
    url = f"sqlite+aiosqlite:///{tmp_path / name}.db"
    upgrade(migrations, url)
    if load is not None:
        asyncio.run(load(url))
    app = create(url)
    headers = {"Authorization": "Bearer " + TokenService(JWT_SECRET).mint("fuzz", [Role.ADMIN])}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except BaseException as exc:
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert failures == [], "\n\n".join(failures)
