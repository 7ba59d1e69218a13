"""Every operation of every service's OpenAPI fuzzed with schemathesis: no 5xx, and every
answer (status, content type, body) is the one the schema documents.

- as an admin, each operation on its own (`KOERS_FUZZ_EXAMPLES` examples, 6 by default);
- as a partner (an API key of an organisation leading a project), the KPI service, where
  partner keys are accepted (elsewhere they are refused like any unknown token);
- in sequences (`KOERS_FUZZ_STATEFUL` scenarios of 10 calls, 5 by default), as an admin and
  as a partner, following the links
  schemathesis infers from the schema (an id a POST returns, used in the path of a GET,
  PATCH or DELETE), so that updates reach records that exist.

`make test` runs the small default; `make fuzz` runs 50 examples per operation and 200
scenarios per service, and writes its figures to `KOERS_FUZZ_REPORT` (docs/reliability.md).
"""

import asyncio
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Flaky, FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from shared.auth import Role, TokenService
from tests.conftest import JWT_SECRET
from tests.integration.kpi.harness import kpi_service
from tests.security.apps import SERVICES, migrated_app

EXAMPLES = int(os.environ.get("KOERS_FUZZ_EXAMPLES", "6"))
SCENARIOS = int(os.environ.get("KOERS_FUZZ_STATEFUL", "5"))
REPORT = os.environ.get("KOERS_FUZZ_REPORT")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ADMIN = {"Authorization": "Bearer " + TokenService(JWT_SECRET).mint("fuzz", [Role.ADMIN])}


@dataclass
class Figures:
    """What one run did: how many operations, cases sent, failures, seconds."""

    service: str
    caller: str
    mode: str
    operations: int = 0
    cases: int = 0
    failures: int = 0
    seconds: float = 0.0
    restarts: int = 0  # stateful: searches begun again (see _fuzz_sequences)


@pytest.fixture(scope="module")
def figures() -> Iterator[list[Figures]]:
    runs: list[Figures] = []
    yield runs
    for run in runs:
        print(
            f"\nfuzz {run.service:<13} {run.caller:<7} {run.mode:<9} {run.operations:>3} "
            f"operations {run.cases:>6} cases {run.failures} failures {run.seconds:.0f} s"
        )
    total = Figures("all", "-", "-")
    for run in runs:
        total.operations += run.operations
        total.cases += run.cases
        total.failures += run.failures
        total.seconds += run.seconds
    print(
        f"\nfuzz total: {total.operations} operations fuzzed (counted per run), "
        f"{total.cases} cases, {total.failures} failures, {total.seconds:.0f} s"
    )
    if REPORT:
        with open(REPORT, "a") as out:
            out.writelines(json.dumps(asdict(run)) + "\n" for run in runs)


def _fuzz_each_operation(app: FastAPI, headers: dict[str, str], run: Figures) -> list[str]:
    """Every operation on its own, `EXAMPLES` cases each; the failures, described."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]
        run.operations += 1

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def fuzz(case: Any) -> None:
            run.cases += 1
            _checked(case, case.call(headers=headers), failures)

        fuzz()
    run.failures, run.seconds = len(failures), time.monotonic() - started
    return failures


def _checked(case: Any, response: Any, failures: list[str]) -> None:
    """Every check on one answer; a failure is written down with the request that caused
    it, and the run goes on. (Raised to hypothesis instead, it would be replayed to shrink
    it — against a database that has changed since, so it reads as flaky generation.)"""
    try:
        case.validate_response(response, checks=CHECKS)
    except Exception as exc:
        body = case.body if not isinstance(case.body, bytes) else case.body[:300]
        failures.append(
            f"{case.method} {case.formatted_path} query={case.query} body={str(body)[:300]}"
            f" -> {response.status_code} {response.text[:300]}\n{str(exc)[:600]}"
        )


def _fuzz_sequences(app: FastAPI, headers: dict[str, str], run: Figures) -> list[str]:
    """`SCENARIOS` sequences of calls along the links schemathesis infers from the schema."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    machine: Any = schema.as_state_machine()
    run.operations = sum(1 for _ in schema.get_all_operations())
    failures: list[str] = []
    scenarios = [0]

    class Sequences(machine):  # type: ignore[misc]
        def setup(self) -> None:
            scenarios[0] += 1

        def before_call(self, case: Any) -> None:
            run.cases += 1
            case.headers = {**(case.headers or {}), **headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            _checked(case, response, failures)

    started = time.monotonic()
    # The database outlives a scenario, so hypothesis, replaying steps it knows to find new
    # ones, may meet other answers than before and give up (a Flaky error); the search then
    # starts afresh until SCENARIOS scenarios have run (bounded: as many restarts at most).
    for _ in range(SCENARIOS):
        if scenarios[0] >= SCENARIOS:
            break
        try:
            Sequences.run(
                settings=settings(
                    max_examples=SCENARIOS - scenarios[0],
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                    stateful_step_count=10,
                )
            )
        except (Flaky, FlakyStrategyDefinition):
            run.restarts += 1
    run.failures, run.seconds = len(failures), time.monotonic() - started
    return failures


async def _partner_key(url: str) -> dict[str, str]:
    """An API key of an organisation that leads a project, issued through the KPI API."""
    async for kpi in kpi_service(url):
        kpi.registry.organisation("Partner BV")
        kpi.registry.goal("G1")
        kpi.registry.project("FUZZ", lead="Partner BV", goals=["G1"])
        await kpi.deliver()
        organisation = str(kpi.registry.organisations["Partner BV"])
        issued = await kpi.client.post(
            "/v1/api-keys", json={"organisation_id": organisation, "name": "fuzz"}, headers=ADMIN
        )
        assert issued.status_code == 201, issued.text
        return {"Authorization": f"Bearer {issued.json()['key']}"}
    raise AssertionError("the KPI harness yielded nothing")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_operation_fails_or_answers_off_schema(
    name: str, tmp_path: Path, figures: list[Figures]
) -> None:
    app = migrated_app(name, tmp_path)
    figures.append(run := Figures(name, "admin", "stateless"))
    failures = _fuzz_each_operation(app, ADMIN, run)
    assert failures == [], "\n\n".join(failures)


def test_no_operation_fails_or_answers_off_schema_for_a_partner(
    tmp_path: Path, figures: list[Figures]
) -> None:
    app, partner = _kpi_with_a_partner(tmp_path)
    figures.append(run := Figures("kpi", "partner", "stateless"))
    failures = _fuzz_each_operation(app, partner, run)
    assert failures == [], "\n\n".join(failures)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_no_sequence_of_calls_fails_or_answers_off_schema(
    name: str, tmp_path: Path, figures: list[Figures]
) -> None:
    app = migrated_app(name, tmp_path)
    figures.append(run := Figures(name, "admin", "stateful"))
    failures = _fuzz_sequences(app, ADMIN, run)
    assert failures == [], "\n\n".join(failures)


def test_no_sequence_of_a_partner_fails_or_answers_off_schema(
    tmp_path: Path, figures: list[Figures]
) -> None:
    app, partner = _kpi_with_a_partner(tmp_path)
    figures.append(run := Figures("kpi", "partner", "stateful"))
    failures = _fuzz_sequences(app, partner, run)
    assert failures == [], "\n\n".join(failures)


def _kpi_with_a_partner(folder: Path) -> tuple[FastAPI, dict[str, str]]:
    app = migrated_app("kpi", folder)
    return app, asyncio.run(_partner_key(f"sqlite+aiosqlite:///{folder / 'kpi'}.db"))
