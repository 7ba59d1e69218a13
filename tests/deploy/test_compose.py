"""docker-compose.yml checked statically: valid, ordered start-up, secrets never defaulted."""

import re
from pathlib import Path
from typing import Any

import compose_spec
import pytest
import yaml

from tests.infra import KAFKA_PRODUCER_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
APP_SERVICES = (
    "projects-api",
    "projects-worker",
    "kpi-api",
    "kpi-worker",
    "funding-api",
    "funding-worker",
    "notifications-api",
    "notifications-worker",
    "portal-api",
)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())  # resolves the <<: merges
    return loaded


def test_file_matches_the_compose_specification(compose: dict[str, Any]) -> None:
    spec = compose_spec.models.ComposeSpecification.model_validate(
        {k: v for k, v in compose.items() if not k.startswith("x-")}
    )
    known = {f.alias or name for name, f in compose_spec.models.Service.model_fields.items()}
    assert spec.services
    for name, service in compose["services"].items():
        assert set(service) <= known, (
            f"{name} has keys the specification does not know: {set(service) - known}"
        )


def test_every_dependency_exists_and_waits_for_health_or_completion(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in (service.get("depends_on") or {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if isinstance(rule, dict) and rule.get("condition") == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency}: no healthcheck"


def test_services_start_after_their_migration_which_starts_after_postgres_and_topics(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["create-topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"
    for name in APP_SERVICES:
        migration = name.split("-")[0] + "-migrate"
        needs = services[name]["depends_on"][migration]["condition"]
        assert needs == "service_completed_successfully"
        migrate = services[migration]["depends_on"]
        assert migrate["postgres"]["condition"] == "service_healthy"
        assert migrate["create-topics"]["condition"] == "service_completed_successfully"


def test_kafka_runs_in_kraft_mode_without_auto_created_topics(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert kafka["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_every_service_produces_as_tested_on_apache_kafka(compose: dict[str, Any]) -> None:
    """Idempotent, lz4, 5 ms linger: the producer `make test-kafka` ran the platform with."""
    for name in APP_SERVICES:
        environment = compose["services"][name]["environment"]
        prefix = name.split("-")[0].upper() + "_"
        for key, value in KAFKA_PRODUCER_SETTINGS.items():
            assert environment[prefix + key] == value, (name, key)


def test_topics_are_replicated_no_more_than_the_one_broker_allows(compose: dict[str, Any]) -> None:
    topics = compose["services"]["create-topics"]["environment"]
    assert (topics["KAFKA_REPLICATION_FACTOR"], topics["KAFKA_MIN_INSYNC_REPLICAS"]) == ("1", "1")


def test_secrets_are_required_never_defaulted() -> None:
    text = COMPOSE.read_text()
    for secret in ("POSTGRES_PASSWORD", "KOERS_JWT_SECRET"):
        uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
        assert uses, f"{secret} is not used"
        assert all(use.startswith(":?") for use in uses), f"{secret} must be ${{{secret}:?...}}"


def test_env_example_names_every_variable_the_compose_file_reads() -> None:
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert used <= documented, used - documented


def test_tracing_is_an_optional_profile(compose: dict[str, Any]) -> None:
    for name in ("otel-collector", "jaeger"):
        assert compose["services"][name]["profiles"] == ["tracing"]


def test_image_runs_as_non_root_in_two_stages() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM python:3.11-slim") == 2
    assert re.search(r"^USER 10001", dockerfile, flags=re.MULTILINE)
    runtime_stage = dockerfile.split("AS runtime", 1)[1]
    assert "pip install" not in runtime_stage and "gcc" not in runtime_stage
