"""The README's run command, as a new developer would use it: start, look, Ctrl-C, start again."""

import asyncio
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from services.embedded import jwt_secret
from shared.auth import Role, TokenService
from shared.broker import free_port
from shared.contracts.topics import PROJECTS
from tests.e2e.platform import start, stop, wait_for_start
from tests.kafka_helpers import collect


def _projects(port: int, token: str) -> list[str]:
    response = httpx.get(
        f"http://127.0.0.1:{port}/v1/projects",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    body = response.json()
    assert body["count"] == len(body["data"])
    return sorted(p["code"] for p in body["data"])


def _efro_report(port: int, token: str, programme_id: str) -> dict[str, Any]:
    response = httpx.get(
        f"http://127.0.0.1:{port}/v1/programmes/{programme_id}/eu-reports/efro",
        params={"as_of": "2019-07-31"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    report: dict[str, Any] = response.json()
    return report


def _results_chain(
    ports: dict[str, int], token: str, programme_id: str, goal_code: str
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    tree = httpx.get(
        f"http://127.0.0.1:{ports['projects']}/v1/programmes/{programme_id}/goals", headers=headers
    ).json()

    def walk(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [n for node in nodes for n in [node, *walk(node.get("children", []))]]

    goal = next(g for g in walk(tree) if g["code"] == goal_code)
    url = f"http://127.0.0.1:{ports['kpi']}/v1/goals/{goal['id']}/results-chain"
    chain: dict[str, Any] = {}

    def complete() -> bool:
        chain.update(httpx.get(url, headers=headers, timeout=10).json())
        return bool(chain.get("input"))

    deadline = time.monotonic() + 30
    while not complete() and time.monotonic() < deadline:
        time.sleep(0.5)
    return chain


def _first_feed(port: int, token: str) -> list[dict[str, Any]]:
    """A programme manager's feed as they sign in for the first time: what the clock rules
    raised on the demo, once the notifications service has ticked after the demo's reports
    reached it (every 5 seconds on one machine)."""
    headers = {"Authorization": f"Bearer {token}"}
    url = f"http://127.0.0.1:{port}/v1/feed"
    deadline = time.monotonic() + 60
    while True:
        items: list[dict[str, Any]] = httpx.get(url, headers=headers, timeout=10).json()
        if items or time.monotonic() > deadline:
            return items
        time.sleep(1)


def test_run_starts_everything_seeds_once_and_stops_cleanly(tmp_path: Path) -> None:
    ports = {
        "broker": free_port(),
        "projects": free_port(),
        "kpi": free_port(),
        "funding": free_port(),
        "notifications": free_port(),
        "portal": free_port(),
    }
    broker_port, registry_port = ports["broker"], ports["projects"]
    process = start(tmp_path, ports)
    lines = wait_for_start(process)
    assert f"projects   http://127.0.0.1:{registry_port}/docs" in lines
    assert f"kpi        http://127.0.0.1:{ports['kpi']}/docs" in lines
    token = TokenService(jwt_secret(tmp_path)).mint("admin", [Role.ADMIN])
    try:
        assert _projects(registry_port, token) == ["CHEMPORT", "HHR", "IBDO", "NICE", "SPT"]
        assert httpx.get(f"http://127.0.0.1:{registry_port}/readyz").json()["checks"] == {
            "database": "ok",
            "broker": "ok",
        }
        registered = asyncio.run(
            collect(
                f"127.0.0.1:{broker_port}",
                PROJECTS,
                done=lambda found: len(found) >= 5,
                keep=lambda m: dict(m.headers).get("ce_type") == b"projects.project.registered.v1",
            )
        )
        assert len(registered) == 5
        headers = {"Authorization": f"Bearer {token}"}
        ibdo = httpx.get(
            f"http://127.0.0.1:{registry_port}/v1/projects?code=IBDO", headers=headers
        ).json()
        kpis = httpx.get(
            f"http://127.0.0.1:{ports['kpi']}/v1/projects/{ibdo['data'][0]['id']}/kpis",
            headers=headers,
        ).json()
        targets = {k["indicator_code"]: k["target_value"] for k in kpis}
        assert targets["ENTREPRENEURS_REACHED"] == "1500"
        assert targets["MEETINGS_ORGANISED"] == "20"
        # The demo's (invented) money: EFRO in all five case projects, at a cut-off date.
        programme_id = ibdo["data"][0]["programme_id"]
        report = _efro_report(ports["funding"], token, programme_id)
        assert report["is_cutoff"] and len(report["projects"]) == 5
        assert Decimal(report["eu_committed"]) == Decimal("1980000")
        # The labour-market line's results chain: money, outputs, an outcome and its link.
        chain = _results_chain(ports, token, programme_id, "PL-ARBEIDSMARKT")
        assert chain["input"] and chain["outcomes"][0]["latest_value"] == "3.2"
        outputs = {o["indicator_code"]: o["total"]["value"] for o in chain["outputs"]}
        assert outputs["PEOPLE_PLACED"] == "100"
        assert [c["output_indicator"] for c in chain["contributions"]] == ["PEOPLE_PLACED"]
        rules = httpx.get(f"http://127.0.0.1:{ports['notifications']}/v1/rules", headers=headers)
        found = {r["rule"] for r in rules.json()}
        assert {"report_due", "restatement_flagged", "transmission_sealed"} <= found
        assert len(found) == 12 and all(r["enabled"] for r in rules.json())
        # A programme manager signing in finds what the demo programme (2016-2019) never
        # received: overdue reports, one notification per case KPI, naming quarters of the
        # programme's own period; nothing due (every quarter is long over), no repeats.
        manager = TokenService(jwt_secret(tmp_path)).mint("pm", [Role.PROGRAMME_MANAGER])
        feed = _first_feed(ports["notifications"], manager)
        kinds = {item["rule"] for item in feed}
        assert "report_overdue" in kinds, feed
        assert kinds <= {"report_overdue", "progress_slipped", "eu_cutoff_approaching"}, kinds
        overdue = [item for item in feed if item["rule"] == "report_overdue"]
        per_kpi = [(item["project_id"], item["data"]["indicator"]) for item in overdue]
        assert len(per_kpi) == len(set(per_kpi)) <= 16  # the five case projects' 16 KPIs
        periods = [p for item in overdue for p in item["data"]["periods"]]
        assert periods and all("2015-Q1" <= p <= "2019-Q4" for p in periods), periods
        unread = httpx.get(
            f"http://127.0.0.1:{ports['notifications']}/v1/feed/unread-count",
            headers={"Authorization": f"Bearer {manager}"},
        ).json()
        assert unread["unread"] == len(feed)
    finally:
        code, out = stop(process)
    assert code == 0, out
    assert out.rstrip().endswith("stopped")

    republish = subprocess.run(
        [sys.executable, "-m", "services", "republish", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert republish.stdout.startswith("projects: ")
    assert int(republish.stdout.split()[1]) >= 5 * 4  # each project: registered + 3 status changes

    again = start(tmp_path, ports)
    wait_for_start(again)
    try:
        assert _projects(registry_port, token) == ["CHEMPORT", "HHR", "IBDO", "NICE", "SPT"]
        assert _efro_report(ports["funding"], token, programme_id) == report  # not seeded twice
    finally:
        code, out = stop(again)
    assert code == 0, out
