"""The alert rules, the dashboard and the scrape annotations use metrics that exist."""

import json
import re
from pathlib import Path
from typing import Any

import httpx
import yaml

import services.notifications.delivery  # noqa: F401 - every metric is defined on import
from shared.metrics import metric_names

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "prometheus" / "alerts.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "koersmonitor-platform.json"
PROMQL_WORDS = {
    "sum",
    "by",
    "rate",
    "increase",
    "deriv",
    "min_over_time",
    "histogram_quantile",
    "and",
    "or",
    "le",
    "without",
    "max",
    "min",
    "avg",
    "count",
}


def metrics_in(expr: str) -> set[str]:
    """The series an expression reads (`koers_*` names; PromQL functions left out)."""
    without_strings = re.sub(r'"[^"]*"', "", expr)
    without_labels = re.sub(r"\{[^}]*\}", "", without_strings)
    names = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_labels))
    return {n for n in names if n.startswith("koers_")}


def alert_rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_every_alert_reads_metrics_the_services_expose() -> None:
    known = metric_names()
    rules = alert_rules()
    assert {r["alert"] for r in rules} >= {
        "KoersOutboxBacklogGrowing",
        "KoersConsumerLagHigh",
        "KoersDeadLetters",
        "KoersHttpErrorRate",
        "KoersNotReady",
    }
    for rule in rules:
        used = metrics_in(rule["expr"])
        assert used, rule["alert"]
        assert used <= known, (rule["alert"], used - known)
        assert rule["annotations"]["summary"]


def test_every_dashboard_panel_reads_metrics_the_services_expose() -> None:
    known = metric_names()
    dashboard = json.loads(DASHBOARD.read_text())
    assert dashboard["panels"]
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            used = metrics_in(target["expr"])
            assert used and used <= known, (panel["title"], used - known)


def test_every_pod_that_serves_metrics_is_annotated_for_scraping() -> None:
    for manifest in (ROOT / "deploy" / "k8s" / "base").glob("*/[aw][po][ir]*.yaml"):
        spec = yaml.safe_load(manifest.read_text())
        annotations = spec["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", manifest
        assert annotations["prometheus.io/path"] == "/metrics", manifest


async def test_metrics_endpoint_serves_request_counts_by_route_template() -> None:
    from services.projects.main import create_app
    from tests.conftest import registry_settings

    app = create_app(registry_settings("sqlite+aiosqlite:///:memory:"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        await client.get("/v1/projects/00000000-0000-0000-0000-000000000000")
        body = (await client.get("/metrics")).text
    assert (
        'koers_http_requests_total{method="GET",route="/v1/projects/{project_id}",'
        'service="projects",status="401"}' in body
    )
    assert "koers_db_pool_connections_in_use" in body
    await app.state.runtime.close()
