"""The results chain of a goal, from output reports and an imported statistics file, with the
money from the funding service: registry, KPI and funding running as deployed on the real
broker and PostgreSQL."""

import io
import secrets
from decimal import Decimal
from typing import Any

from openpyxl import Workbook

from shared.auth import Role
from shared.contracts.topics import KPI
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.funding.harness import funding_settings, running_funding
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import collect, eventually, partner_key

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_a_goal_shows_its_money_outputs_outcomes_and_contribution(
    kafka: Kafka, registry_pg_db: str, kpi_pg_db: str, funding_pg_db: str, auth: AuthHeaders
) -> None:
    staff, manager = auth(Role.ADMIN), auth(Role.PROGRAMME_MANAGER)
    group = f"test-{secrets.token_hex(3)}."
    bootstrap = kafka.bootstrap_servers
    async with (
        running_registry(registry_settings(registry_pg_db, bootstrap)) as registry,
        running_kpi(kpi_settings(kpi_pg_db, bootstrap, consumer_group_prefix=group)) as kpi,
        running_funding(
            funding_settings(funding_pg_db, bootstrap, consumer_group_prefix=group)
        ) as funding,
    ):
        lead = await builders.organisation(registry.client, staff)
        programme, line, _ = await builders.programme_with_goals(registry.client, staff)
        project = await builders.project(
            registry.client,
            staff,
            programme["id"],
            lead["id"],
            goal_ids=[line["id"]],
            start_date="2016-01-01",
            end_date="2019-12-31",
        )
        chain_url = f"/v1/goals/{line['id']}/results-chain"

        async def both_know_the_project() -> bool:
            kpis = await kpi.client.get(f"/v1/projects/{project['id']}/kpis", headers=staff)
            money = await funding.client.get(f"/v1/projects/{project['id']}/funding", headers=staff)
            chain = await kpi.client.get(chain_url, headers=staff)
            budgets = await funding.client.get(
                f"/v1/programmes/{programme['id']}/budgets", headers=staff
            )
            codes = {r.status_code for r in (kpis, money, chain, budgets)}
            return codes == {200}

        await eventually(both_know_the_project, timeout_s=40)

        # Money: a plan and an EFRO grant in the funding service.
        finance = auth(Role.FINANCE_OFFICER)
        await funding.client.put(
            f"/v1/programmes/{programme['id']}/funding",
            json={"region_category": "transition"},
            headers=finance,
        )
        plan = {
            "total_costs": "200000.00",
            "eligible_costs": "200000.00",
            "contributions": {"efro": "100000.00", "province": "100000.00"},
        }
        assert (
            await funding.client.put(
                f"/v1/projects/{project['id']}/plan", json=plan, headers=finance
            )
        ).status_code == 200
        grant = {
            "fund": "efro",
            "amount": "100000.00",
            "decided_on": "2016-03-01",
            "reference": f"G-{secrets.token_hex(3)}",
        }
        assert (
            await funding.client.post(
                f"/v1/projects/{project['id']}/grants", json=grant, headers=finance
            )
        ).status_code == 201

        # Outputs: employment growth to date (a stock), reported by the partner per quarter.
        declared = await kpi.client.put(
            f"/v1/projects/{project['id']}/kpis/EMPLOYMENT_GROWTH_FTE",
            json={
                "target_value": 20,
                "target_date": "2019-12-31",
                "baseline_value": 0,
                "baseline_year": 2015,
            },
            headers=staff,
        )
        assert declared.status_code == 200, declared.text
        partner = await partner_key(kpi.client, staff, lead["id"])
        items = [
            {
                "project": project["code"],
                "indicator": "EMPLOYMENT_GROWTH_FTE",
                "period": p,
                "value": v,
            }
            for p, v in (
                ("2019-Q1", "6.0"),
                ("2019-Q2", "13.4"),
                ("2019-Q3", "18.4"),
                ("2019-Q4", "26.4"),
            )
        ]
        batch = await kpi.client.post("/v1/reports/batch", json={"reports": items}, headers=partner)
        assert batch.json()["accepted"] == 4, batch.text
        # Q1-Q3 reviewed and approved; Q4's 26.4 still awaits review
        for result in batch.json()["results"][:3]:
            approved = await kpi.client.post(
                f"/v1/reports/{result['report']['id']}/review",
                json={"decision": "approve"},
                headers=manager,
            )
            assert approved.status_code == 200, approved.text

        # Outcomes: defined by the programme manager, measured from an imported file.
        outcome = {
            "code": "JOBS_ADDED",
            "name": "Jobs added per year",
            "unit": "FTE",
            "kind": "flow",
            "baseline_value": 4000,
            "baseline_date": "2018-12-31",
            "target_value": 6000,
            "target_date": "2023-12-31",
        }
        defined = await kpi.client.put(
            f"/v1/goals/{line['id']}/outcomes", json=outcome, headers=manager
        )
        assert defined.status_code == 200, defined.text
        imports = f"/v1/programmes/{programme['id']}/outcome-measurements/import"
        header = "outcome,period,value,source,published_on\n"
        bad = header + "JOBS_ADDED,2019,lots,CBS,2020-03-01\nNOPE,2030,1,CBS,2020-03-01\n"
        refused = await kpi.client.post(
            imports, content=bad, headers={**manager, "content-type": "text/csv"}
        )
        assert refused.status_code == 422
        where = {tuple(p["loc"]) for p in refused.json()["detail"]}
        assert ("file", 2, "value") in where and ("body", "file", 1, "outcome") not in where
        nul = header + "JOBS_ADDED,2019,4800,CBS\x00,2020-03-01\n"  # PostgreSQL cannot store it
        refused_nul = await kpi.client.post(
            imports, content=nul, headers={**manager, "content-type": "text/csv"}
        )
        assert refused_nul.status_code == 422 and "NUL" in refused_nul.text
        good = header.replace(",", ";") + (
            "JOBS_ADDED;2018;4000;CBS;2019-03-01\nJOBS_ADDED;2019;4800;CBS;2020-03-01\n"
        )
        first = await kpi.client.post(
            imports, content=good, headers={**manager, "content-type": "text/csv"}
        )
        assert first.status_code == 201, first.text
        revision = _xlsx(
            [
                ["outcome", "period", "value", "source", "published_on"],
                ["JOBS_ADDED", 2019, 5000, "CBS (revised)", "2020-09-01"],
            ]
        )
        revised = await kpi.client.post(
            imports, content=revision, headers={**manager, "content-type": XLSX}
        )
        assert revised.status_code == 201, revised.text
        assert [m["revision"] for m in revised.json()] == [2]

        # The logic model: an incompatible link is refused, a compatible one is kept.
        wrong = {
            "output_indicator": "PEOPLE_PLACED",
            "outcome": "JOBS_ADDED",
            "kind": "quantitative",
            "rationale": "placements",
        }
        refused_link = await kpi.client.put(
            f"/v1/goals/{line['id']}/contributions", json=wrong, headers=manager
        )
        assert refused_link.status_code == 422 and "same unit" in refused_link.text
        link = {
            **wrong,
            "output_indicator": "EMPLOYMENT_GROWTH_FTE",
            "rationale": "FTE created in supported companies",
        }
        assert (
            await kpi.client.put(
                f"/v1/goals/{line['id']}/contributions", json=link, headers=manager
            )
        ).status_code == 200
        review = {
            "period": "2019",
            "status": "on_track",
            "narrative": "Partners see growth.",
            "decisions": "Continue.",
        }
        assert (
            await kpi.client.post(f"/v1/goals/{line['id']}/reviews", json=review, headers=manager)
        ).status_code == 201

        chain: dict[str, Any] = {}

        async def chain_complete() -> bool:
            chain.update((await kpi.client.get(chain_url, headers=staff)).json())
            contributions = chain["contributions"]
            approved = [o["total"]["value"] for o in chain["outputs"]]
            return bool(chain["input"] and contributions and contributions[0]["share"]) and (
                approved == ["18.4"]  # the three approvals applied
            )

        await eventually(chain_complete, timeout_s=40)
        assert [(i["fund"], Decimal(i["committed"])) for i in chain["input"]] == [
            ("efro", Decimal(100000))
        ]
        outputs = {o["indicator_code"]: o["total"]["value"] for o in chain["outputs"]}
        assert outputs == {"EMPLOYMENT_GROWTH_FTE": "18.4"}  # approved values only
        assert [(p["indicator_code"], p["reports"]) for p in chain["pending"]] == [
            ("EMPLOYMENT_GROWTH_FTE", 1)
        ]
        assert [
            (p["indicator_code"], p["status"], p["realised"], p["approved"])
            for p in chain["progress"]
        ] == [("EMPLOYMENT_GROWTH_FTE", "on_track", "26.4", "18.4")]
        jobs = chain["outcomes"][0]
        assert (jobs["latest_period"], Decimal(jobs["latest_value"])) == ("2019", Decimal(5000))
        assert [(r["period"], r["revision"]) for r in jobs["revisions"]] == [
            ("2018", 1),
            ("2019", 1),
            ("2019", 2),
        ]
        found = chain["contributions"][0]
        assert Decimal(found["share"]) == Decimal("0.00368") and found["label"].startswith(
            "contribution"
        )
        assert chain["reviews"][0]["status"] == "on_track"

        logic = await collect(
            bootstrap,
            KPI,
            done=lambda found: len(found) >= 5,
            keep=lambda m: dict(m.headers).get("ce_subject") == line["id"].encode(),
        )
        types = {dict(m.headers)["ce_type"].decode() for m in logic}
        assert types == {
            "kpi.outcome.defined.v1",
            "kpi.outcome.measured.v1",
            "kpi.contribution.linked.v1",
            "kpi.goal.reviewed.v1",
        }
