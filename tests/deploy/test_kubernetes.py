"""deploy/k8s rendered with kustomize and checked against the Kubernetes schemas and our rules."""

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from tests.infra import KAFKA_PRODUCER_SETTINGS, THREE_BROKERS

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = ROOT / "deploy" / "k8s" / "overlays" / "prod"
K8S_VERSION = "1.31.0"


def render(overlay: Path) -> str:
    kubectl = shutil.which("kubectl") or str(ROOT / ".venv" / "bin" / "kubectl")
    return subprocess.run(
        [kubectl, "kustomize", str(overlay)], check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return [o for o in yaml.safe_load_all(render(OVERLAY)) if o]


def _pods(objects: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"])
        for o in objects
        if o["kind"] in {"Deployment", "Job"}
    ]


def test_every_object_is_valid_for_kubernetes(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_each_service_has_api_worker_service_account_config_budget_scaler_and_migration(
    objects: list[dict[str, Any]],
) -> None:
    names = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for service in ("projects", "kpi", "funding", "notifications"):
        assert {
            ("Deployment", f"{service}-api"),
            ("Deployment", f"{service}-worker"),
            ("Service", f"{service}-api"),
            ("ServiceAccount", service),
            ("ConfigMap", f"{service}-config"),
            ("PodDisruptionBudget", f"{service}-api"),
            ("HorizontalPodAutoscaler", f"{service}-api"),
            ("Job", f"{service}-migrate"),
        } <= names
    assert ("Job", "create-topics") in names
    # The portal: an API only (no worker), reaching the services by their Service names.
    assert {
        ("Deployment", "portal-api"),
        ("Service", "portal-api"),
        ("Job", "portal-migrate"),
    } <= names
    assert ("Deployment", "portal-worker") not in names
    config = next(o for o in objects if o["metadata"]["name"] == "portal-config")
    assert config["data"]["PORTAL_KPI_URL"] == "http://kpi-api"


def test_pods_run_locked_down(objects: list[dict[str, Any]]) -> None:
    for name, pod in _pods(objects):
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"]["drop"] == ["ALL"], name
            assert {
                m["name"] for m in container["volumeMounts"] if m["mountPath"] == "/tmp"
            } <= tmp_volumes
            assert container["resources"]["requests"] and container["resources"]["limits"], name


def test_deployments_probe_health_and_readiness(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj["kind"] != "Deployment":
            continue
        [container] = obj["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        labels = obj["spec"]["template"]["metadata"]["labels"]
        assert {"app", "component"} <= set(labels)


def test_secrets_come_from_a_secret_not_the_config_map(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        if obj["kind"] == "ConfigMap":
            assert not any("SECRET" in k or "DATABASE_URL" in k for k in obj["data"])
    for name, pod in _pods(objects):
        for container in pod["containers"]:
            for env in container.get("env", []):
                if env["name"].endswith(("JWT_SECRET", "DATABASE_URL")):
                    assert "secretKeyRef" in env["valueFrom"], name


def test_autoscaler_targets_the_api_and_the_budget_leaves_one_pod(
    objects: list[dict[str, Any]],
) -> None:
    by_kind = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    hpa = by_kind[("HorizontalPodAutoscaler", "projects-api")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "projects-api"
    assert hpa["spec"]["minReplicas"] >= 2
    assert by_kind[("PodDisruptionBudget", "projects-api")]["spec"]["minAvailable"] == 1


def test_the_dev_overlay_renders_valid_small_objects() -> None:
    dev = [o for o in yaml.safe_load_all(render(OVERLAY.parent / "dev")) if o]
    for obj in dev:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    deployments = [o for o in dev if o["kind"] == "Deployment"]
    assert deployments and all(d["spec"]["replicas"] == 1 for d in deployments)
    assert not any(o["kind"] == "NetworkPolicy" for o in dev)


def _topic_job_env(objects: list[dict[str, Any]]) -> dict[str, Any]:
    job = next(
        o for o in objects if o["kind"] == "Job" and o["metadata"]["name"] == "create-topics"
    )
    return {
        e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]
    }


def test_kafka_settings_are_those_tested_on_three_brokers(objects: list[dict[str, Any]]) -> None:
    """Every service's producer and the topic job's layout as `make test-kafka` ran them."""
    for service in ("projects", "kpi", "funding", "notifications", "portal"):
        config = next(o for o in objects if o["metadata"]["name"] == f"{service}-config")
        for key, value in KAFKA_PRODUCER_SETTINGS.items():
            assert config["data"][f"{service.upper()}_{key}"] == value, (service, key)
    env = _topic_job_env(objects)
    assert int(env["KAFKA_REPLICATION_FACTOR"]) == THREE_BROKERS.replication_factor
    assert int(env["KAFKA_MIN_INSYNC_REPLICAS"]) == THREE_BROKERS.min_insync_replicas


def test_the_dev_overlay_lays_topics_out_for_a_single_broker() -> None:
    dev = [o for o in yaml.safe_load_all(render(OVERLAY.parent / "dev")) if o]
    env = _topic_job_env(dev)
    assert (env["KAFKA_REPLICATION_FACTOR"], env["KAFKA_MIN_INSYNC_REPLICAS"]) == ("1", "1")


def test_prod_pins_image_tags(objects: list[dict[str, Any]]) -> None:
    for name, pod in _pods(objects):
        for container in pod["containers"]:
            image = container["image"]
            assert ":" in image and not image.endswith(":latest"), (name, image)


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    wanted = policy["spec"]["podSelector"].get("matchLabels", {})
    return bool(wanted) and wanted.items() <= labels.items()


def test_every_deployment_has_its_own_network_policy_behind_a_default_deny(
    objects: list[dict[str, Any]],
) -> None:
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    deny = next(p for p in policies if p["metadata"]["name"] == "default-deny")
    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for obj in objects:
        if obj["kind"] != "Deployment":
            continue
        labels = obj["spec"]["template"]["metadata"]["labels"]
        own = [p for p in policies if _selects(p, labels)]
        assert own, obj["metadata"]["name"]
        if labels["component"] == "api":
            # an API has a Service of the same name
            assert ("Service", obj["metadata"]["name"]) in {
                (o["kind"], o["metadata"]["name"]) for o in objects
            }


def test_the_portal_and_the_partner_api_are_served_over_tls(objects: list[dict[str, Any]]) -> None:
    [ingress] = [o for o in objects if o["kind"] == "Ingress"]
    hosts = {h for t in ingress["spec"]["tls"] for h in t["hosts"]}
    backends = {
        (rule["host"], path["backend"]["service"]["name"])
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert {rule["host"] for rule in ingress["spec"]["rules"]} <= hosts
    assert {b for _, b in backends} == {"portal-api", "kpi-api"}


def test_opentelemetry_is_wired_through_otel_variables_in_prod(
    objects: list[dict[str, Any]],
) -> None:
    configs = [
        o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].endswith("-config")
    ]
    assert configs and all("OTEL_EXPORTER_OTLP_ENDPOINT" in c["data"] for c in configs)


def test_checkov_finds_nothing_left_unexplained(tmp_path: Path) -> None:
    checkov = str(ROOT / ".venv" / "checkov" / "bin" / "checkov")  # its own venv (Makefile)
    rendered = tmp_path / "prod.yaml"
    rendered.write_text(render(OVERLAY))
    config = str(ROOT / "deploy" / ".checkov.yaml")
    for target, framework in ((rendered, "kubernetes"), (ROOT / "Dockerfile", "dockerfile")):
        result = subprocess.run(
            [
                checkov,
                "-f",
                str(target),
                "--framework",
                framework,
                "--config-file",
                config,
                "--quiet",
                "--compact",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
        )
        report = json.loads(result.stdout)
        reports = report if isinstance(report, list) else [report]
        failed = [f["check_id"] for r in reports for f in r["results"]["failed_checks"]]
        assert failed == [], (framework, failed)
        assert sum(r["summary"]["passed"] for r in reports) > 0
