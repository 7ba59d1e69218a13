"""What exactly did we send on 31 January, and what changed since? Registry, KPI, funding
and notifications run as deployed (API + worker each) on PostgreSQL over the real broker:
a finance officer seals the EFRO transmission, a partner revises an approved value of a
transmitted period, and the sealed record stays byte for byte what was sent (`ops audit
verify`, the command, finds both chains intact and the seal's entry where it was) while
the diff names the revision with its reason and actor, the version is flagged
"restates efro-1", and finance is notified.
"""

import hashlib
import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from services.notifications.main import create_app as notifications_app
from services.notifications.main import run_worker as notifications_worker
from shared.auth import Role
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.funding.harness import funding_settings, running_funding
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.integration.notifications.harness import notifications_settings
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import eventually, partner_key
from tests.ops_audit import audit_verify, verified_heads
from tests.running import running_service

# Each service here is a new consumer group: on the embedded broker, which holds every
# earlier test's events, it first reads them all, which on a loaded CI machine took over
# 40 s late in the suite. The waits end as soon as the state is there.
CATCH_UP_S = 120


async def _count(sessions: Any, sql: str) -> int:
    async with sessions() as session:
        return int((await session.exec(text(sql))).scalar_one())


async def test_a_sealed_transmission_survives_a_revision_that_the_diff_and_finance_hear_of(
    kafka: Kafka,
    registry_pg_db: str,
    kpi_pg_db: str,
    funding_pg_db: str,
    notifications_pg_db: str,
    auth: AuthHeaders,
) -> None:
    staff, finance = auth(Role.ADMIN), auth(Role.FINANCE_OFFICER, user="fo")
    manager = auth(Role.PROGRAMME_MANAGER, user="pm")
    group = f"test-{secrets.token_hex(3)}."
    bootstrap = kafka.bootstrap_servers
    kpi_config = kpi_settings(kpi_pg_db, bootstrap, consumer_group_prefix=group)
    funding_config = funding_settings(funding_pg_db, bootstrap, consumer_group_prefix=group)
    notes = notifications_settings(notifications_pg_db, bootstrap, consumer_group_prefix=group)
    async with (
        running_registry(registry_settings(registry_pg_db, bootstrap)) as registry,
        running_kpi(kpi_config) as kpi,
        running_funding(funding_config) as funding,
        running_service(
            notifications_app(notes), lambda stop: notifications_worker(notes, stop)
        ) as notifications,
    ):
        # finance is subscribed (by role) before anything happens
        assert (await notifications.client.get("/v1/feed", headers=finance)).status_code == 200
        lead = await builders.organisation(registry.client, staff)
        programme, _, goal = await builders.programme_with_goals(registry.client, staff)
        project = await builders.project(
            registry.client,
            staff,
            programme["id"],
            lead["id"],
            goal_ids=[goal["id"]],
            start_date="2016-01-01",
            end_date="2019-12-31",
        )
        money = f"/v1/projects/{project['id']}"

        async def funding_knows_project() -> bool:
            budgets = f"/v1/programmes/{programme['id']}/budgets"
            programme_known = await funding.client.get(budgets, headers=staff)
            project_known = await funding.client.get(f"{money}/funding", headers=staff)
            return programme_known.status_code == project_known.status_code == 200

        await eventually(funding_knows_project, timeout_s=CATCH_UP_S)
        for method, url, body in (
            ("PUT", f"/v1/programmes/{programme['id']}/funding", {"region_category": "transition"}),
            (
                "PUT",
                f"{money}/plan",
                {
                    "total_costs": "400000.00",
                    "eligible_costs": "400000.00",
                    "contributions": {"efro": "170500.00", "province": "229500.00"},
                },
            ),
            (
                "POST",
                f"{money}/grants",
                {
                    "fund": "efro",
                    "amount": "170500.00",
                    "decided_on": "2016-02-01",
                    "reference": f"EFRO-{secrets.token_hex(3)}",
                },
            ),
        ):
            response = await funding.client.request(method, url, json=body, headers=finance)
            assert response.status_code < 300, response.text

        kpis = f"/v1/projects/{project['id']}/kpis"

        async def kpi_knows_project() -> bool:
            return (await kpi.client.get(kpis, headers=staff)).status_code == 200

        await eventually(kpi_knows_project, timeout_s=CATCH_UP_S)
        assert (await kpi.client.put(f"{kpis}/RCO01", json={}, headers=staff)).status_code == 200
        partner = await partner_key(kpi.client, staff, lead["id"])
        reported = await kpi.client.post(
            "/v1/reports/batch",
            json={
                "reports": [
                    {"project": project["code"], "indicator": "RCO01", "period": p, "value": v}
                    for p, v in (("2018-Q3", 5), ("2018-Q4", 7))
                ]
            },
            headers=partner,
        )
        assert reported.json()["accepted"] == 2, reported.text
        for result in reported.json()["results"]:
            review = f"/v1/reports/{result['report']['id']}/review"
            approved = await kpi.client.post(review, json={"decision": "approve"}, headers=manager)
            assert approved.status_code == 200, approved.text

        report_url = f"/v1/programmes/{programme['id']}/eu-reports/efro"

        async def funding_counts_12_from_two_approved_versions() -> bool:
            figures = await funding.client.get(
                report_url, params={"as_of": "2019-01-31"}, headers=staff
            )
            totals = [(i["eu_code"], Decimal(i["value"])) for i in figures.json()["indicators"]]
            approved_versions = await _count(
                funding.runtime.sessions,
                # this project's only: the embedded broker holds every test's events
                "SELECT count(*) FROM replica_report_versions WHERE state = 'approved' "
                f"AND project_id = '{project['id']}'",
            )
            return totals == [("RCO01", Decimal(12))] and approved_versions == 2

        await eventually(funding_counts_12_from_two_approved_versions, timeout_s=CATCH_UP_S)

        # 31 January: the finance officer transmits
        transmissions = f"{report_url}/transmissions"
        sealed = await funding.client.post(
            transmissions, json={"as_of": "2019-01-31"}, headers=finance
        )
        assert sealed.status_code == 201, sealed.text
        assert (sealed.json()["label"], sealed.json()["sealed_by"]) == ("efro-1", "fo")
        files: dict[str, bytes] = {}
        for fmt in ("json", "csv", "xlsx"):
            got = await funding.client.get(
                f"{transmissions}/1", params={"format": fmt}, headers=staff
            )
            assert got.status_code == 200, got.text
            digest = hashlib.sha256(got.content).hexdigest()
            assert got.headers["x-content-sha256"] == sealed.json()[f"{fmt}_sha256"] == digest
            files[fmt] = got.content
        # ops write down the funding chain's head once the seal is in it
        code, out = await audit_verify({"funding": funding_pg_db})
        assert code == 0, out
        state, _, sealed_head = verified_heads(out)["funding"]
        assert state == "intact", out
        record = (await funding.client.get(f"{transmissions}/1", headers=staff)).json()
        assert sorted(
            (v["period"], v["version"], v["counted"]) for v in record["report_versions"]
        ) == [
            ("2018-Q3", 1, True),
            ("2018-Q4", 1, True),
        ]
        again = await funding.client.post(
            transmissions, json={"as_of": "2019-01-31"}, headers=finance
        )
        assert again.status_code == 409

        async def kpi_knows_the_transmission() -> bool:
            return (
                await _count(kpi.runtime.sessions, "SELECT count(*) FROM replica_transmissions")
                == 1
            )

        await eventually(kpi_knows_the_transmission, timeout_s=CATCH_UP_S)

        # a late report without a reason is refused; a revision of an approved value with one
        # goes in, flagged
        cell = {"project": project["code"], "indicator": "RCO01", "period": "2018-Q4"}
        late = await kpi.client.post(
            "/v1/reports", json={**cell, "period": "2018-Q2", "value": 1}, headers=partner
        )
        assert late.status_code == 422 and late.json()["detail"][0]["loc"] == ["body", "reason"]
        assert "efro-1" in late.json()["detail"][0]["msg"]
        reason = "two enterprises were registered late"
        revised = await kpi.client.post(
            "/v1/reports", json={**cell, "value": 9, "reason": reason}, headers=partner
        )
        assert revised.status_code == 201, revised.text
        assert revised.json()["flags"] == ["restates:efro-1"]
        actor = revised.json()["submitted_by"]
        approved = await kpi.client.post(
            f"/v1/reports/{revised.json()['id']}/review",
            json={"decision": "approve"},
            headers=manager,
        )
        assert approved.status_code == 200, approved.text

        diff: dict[str, Any] = {}

        async def diff_names_the_approved_revision() -> bool:
            response = await funding.client.get(f"{transmissions}/1/diff", headers=staff)
            diff.update(response.json())
            kinds = [v["kind"] for v in diff["versions"]]
            counted = [f for f in diff["figures"] if f["scope"] == "indicator"]
            return (
                kinds == ["revision_after_approval", "approval"]
                and bool(diff["restatements"])
                # the approved 9 reached funding's figures too: funding may hear of the
                # revision (pending review) before its approval, so wait until only the
                # counted value differs
                and {f["field"] for f in counted} == {"value"}
            )

        await eventually(diff_names_the_approved_revision, timeout_s=CATCH_UP_S)
        revision, approval = diff["versions"]
        assert (revision["period"], revision["version"], revision["reason"], revision["actor"]) == (
            "2018-Q4",
            2,
            reason,
            actor,
        )
        before, after = revision["counted_value_transmitted"], revision["value"]
        assert (Decimal(before), Decimal(after)) == (Decimal(7), Decimal(9))
        assert revision["restates"] == ["efro-1"] and approval["actor"] == "pm"
        assert [
            (f["scope"], f["field"], Decimal(f["transmitted"]), Decimal(f["today"]))
            for f in diff["figures"]
            if f["scope"] == "indicator"
        ] == [("indicator", "value", Decimal(12), Decimal(14))]
        [restatement] = diff["restatements"]
        assert (restatement["kind"], restatement["reason"]) == ("revision", reason)

        # what was sent is what was sent
        for fmt, content in files.items():
            got = await funding.client.get(
                f"{transmissions}/1", params={"format": fmt}, headers=staff
            )
            assert got.content == content, fmt
        # `ops audit verify`, the command itself: both chains intact, and funding's still
        # holds the head written down at the seal (a removed or rewritten entry would not)
        code, out = await audit_verify(
            {"funding": funding_pg_db, "kpi": kpi_pg_db},
            "--expect-head",
            f"funding={sealed_head}",
        )
        assert code == 0, out
        heads = verified_heads(out)
        assert {name: state for name, (state, _, _) in heads.items()} == {
            "funding": "intact",
            "kpi": "intact",
        }, out
        assert heads["kpi"][1] > 0, out

        feed: list[dict[str, Any]] = []

        async def finance_told() -> bool:
            response = await notifications.client.get(
                "/v1/feed", params={"language": "en"}, headers=finance
            )
            feed[:] = [n for n in response.json() if n["rule"] == "restatement_flagged"]
            return bool(feed)

        await eventually(finance_told, timeout_s=CATCH_UP_S)
        [told] = feed
        assert "efro-1" in told["title"] and reason in told["body"]

        # the next transmission carries the restatement
        july = await funding.client.post(
            transmissions, json={"as_of": "2019-07-31"}, headers=finance
        )
        assert july.status_code == 201, july.text
        carried = (await funding.client.get(f"{transmissions}/2", headers=staff)).json()
        assert [(r["period"], r["reason"]) for r in carried["restatements"]] == [
            ("2018-Q4", reason)
        ]
