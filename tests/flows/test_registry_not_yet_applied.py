"""Right after a project is registered, the KPI service may not see it yet: its requests
answer 409 with Retry-After and say the registry change is still being applied — not 404
"not found" — and succeed once it is; a project that is truly unknown stays a 404. Registry
as deployed, the KPI API first without its worker (the replica behind), on the real broker."""

import secrets

import httpx

from services.kpi.main import create_app as kpi_app
from services.kpi.main import run_worker
from shared.auth import Role
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.kpi.harness import kpi_settings
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually
from tests.running import running_service


async def test_a_project_registered_a_moment_ago_is_a_409_to_retry_not_a_404(
    kafka: Kafka, registry_db: str, kpi_db: str, auth: AuthHeaders
) -> None:
    staff = auth(Role.ADMIN)
    bootstrap = kafka.bootstrap_servers
    settings = kpi_settings(kpi_db, bootstrap, consumer_group_prefix=f"t-{secrets.token_hex(3)}.")
    async with running_registry(registry_settings(registry_db, bootstrap)) as registry:
        lead = await builders.organisation(registry.client, staff)
        programme, _, goal = await builders.programme_with_goals(registry.client, staff)
        project = await builders.project(
            registry.client, staff, programme["id"], lead["id"], goal_ids=[goal["id"]]
        )
        api = kpi_app(settings)
        try:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=api), base_url="http://kpi"
            ) as kpi:

                async def replica_behind() -> bool:  # the registry's events are produced
                    return bool(await api.state.registry_settling())

                await eventually(replica_behind, timeout_s=20)
                for path in (
                    f"/v1/projects/{project['code']}/kpis",
                    f"/v1/projects/{project['id']}/progress",
                ):
                    early = await kpi.get(path, headers=staff)
                    assert early.status_code == 409, early.text
                    assert int(early.headers["Retry-After"]) > 0
                    assert "still being applied" in early.json()["detail"]
                report = {"project": project["code"], "indicator": "RCO01", "period": "2021-Q1"}
                single = await kpi.post("/v1/reports", json={**report, "value": 1}, headers=staff)
                assert single.status_code == 409 and "Retry-After" in single.headers, single.text
                batch = await kpi.post(
                    "/v1/reports/batch", json={"reports": [{**report, "value": 1}]}, headers=staff
                )
                [item] = batch.json()["results"]
                assert (item["status"], item["errors"][0]["loc"]) == (409, ["body", "project"])
        finally:
            await api.state.runtime.close()

        deployed = kpi_app(settings)
        async with running_service(deployed, lambda stop: run_worker(settings, stop)) as running:

            async def known() -> bool:
                path = f"/v1/projects/{project['code']}/kpis"
                return (await running.client.get(path, headers=staff)).status_code == 200

            await eventually(known, timeout_s=40)

            async def caught_up() -> bool:
                return not await deployed.state.registry_settling()

            await eventually(caught_up, timeout_s=40)
            unknown = await running.client.get("/v1/projects/NO-SUCH/kpis", headers=staff)
            assert unknown.status_code == 404, unknown.text
