"""The Drenthe demo's KPIs, targets, realised figures and results chain, through the
service layer.

Which indicator each case KPI is, and the targets, come from
reference/drenthe_cases.yaml. Assumptions where the source is silent: KPIs are
reported quarterly; flows start from a baseline of 0 the year before the project
started; targets fall due at the end of the 2016-2019 programme (2019-12-31), which for
Health Hub Roden's "20 new companies within 5 years" (started 2015) is the same date.
The seed waits until the registry's projects have reached this service's replica.
"""

import uuid
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import yaml

from services.kpi import chain, services
from services.kpi.access import Principal
from services.kpi.catalogue import REFERENCE
from services.kpi.domain.indicators import Direction
from services.kpi.domain.outcomes import LinkKind, OutcomeKind
from services.kpi.models import ProjectReplica
from services.kpi.schemas import (
    LinkIn,
    MeasurementIn,
    OutcomeIndicatorIn,
    ProjectKpiIn,
    ReviewIn,
)
from services.kpi.uow import KpiUnitOfWork
from shared.auth import Role, StaffUser
from shared.seeding import wait_for_projects, wait_until

SEEDER = StaffUser(username="seed", roles=frozenset({Role.ADMIN}))
TARGET_DATE = date(2019, 12, 31)
REALISED_PERIOD = "2019-Q4"
DEMO_AWAITING_REVIEW = ("IBDO", "HHR")  # their demo reports wait in the review queue

# The results chain of the demo, from `macro_outcomes` in the YAML. Assumed where the source
# is silent: the publication date of the figures (the evaluation gives none), that "jobs
# added" count as FTE (so that Health Hub Roden's FTE can be set against them), and which
# programme line each outcome belongs to. Macro figures without a year are left out.
MACRO_SOURCE = "Evaluatie Economische Koers Drenthe 2016-2019 (reference/drenthe_cases.yaml)"
MACRO_PUBLISHED_ON = date(2020, 12, 31)
OUTCOMES: list[tuple[str, OutcomeIndicatorIn, dict[int, float]]] = [
    (
        "PL-ARBEIDSMARKT",
        OutcomeIndicatorIn(
            code="UNEMPLOYMENT_RATE",
            name="Unemployment rate Drenthe",
            unit="%",
            kind=OutcomeKind.LEVEL,
            direction=Direction.LOWER_IS_BETTER,
            baseline_value=Decimal("6.1"),
            baseline_date=date(2016, 12, 31),
        ),
        {2016: 6.1, 2019: 3.2},
    ),
    (
        "PL-CONCURRENTIEKRACHT",
        OutcomeIndicatorIn(
            code="JOBS_ADDED",
            name="Jobs added in Drenthe per year",
            unit="FTE",
            kind=OutcomeKind.FLOW,
        ),
        {2019: 5000},
    ),
]
LINKS: list[tuple[str, LinkIn]] = [
    (
        "PL-ARBEIDSMARKT",
        LinkIn(
            output_indicator="PEOPLE_PLACED",
            outcome="UNEMPLOYMENT_RATE",
            kind=LinkKind.QUALITATIVE,
            rationale="Servicepunt Techniek places jobseekers in technical vacancies; people "
            "placed and a rate are not the same unit, so no share is computed.",
        ),
    ),
    (
        "PL-CONCURRENTIEKRACHT",
        LinkIn(
            output_indicator="EMPLOYMENT_GROWTH_FTE",
            outcome="JOBS_ADDED",
            kind=LinkKind.QUANTITATIVE,
            rationale="Jobs created in companies supported by Health Hub Roden are part of "
            "the jobs added in the province.",
        ),
    ),
]

# project code -> (case KPI name in the YAML, indicator code, disaggregation dimensions)
CASE_KPIS: dict[str, list[tuple[str | None, str, list[str]]]] = {
    "IBDO": [
        ("entrepreneurs reached", "ENTREPRENEURS_REACHED", []),
        ("meetings organised", "MEETINGS_ORGANISED", []),
        ("one-to-one conversations", "ONE_TO_ONE_CONVERSATIONS", []),
        ("partnerships with Drenthe companies", "PARTNERSHIPS", []),
        (None, "PROGRESS_NARRATIVE", []),  # IBDO's look back and look ahead
    ],
    "SPT": [
        ("people placed in a vacancy", "PEOPLE_PLACED", []),
        ("interested people spoken to", "PEOPLE_SPOKEN_TO", []),
        ("visitors at job fairs and information events", "JOB_FAIR_VISITORS", []),
    ],
    "HHR": [
        ("open innovation projects", "OPEN_INNOVATION_PROJECTS", []),
        ("employment growth (FTE)", "EMPLOYMENT_GROWTH_FTE", []),
        ("companies connected", "COMPANIES_CONNECTED", []),
        ("new companies started", "NEW_COMPANIES_STARTED", []),
    ],
    "CHEMPORT": [
        ("companies settled (Delfzijl region)", "COMPANIES_SETTLED", ["region"]),
        ("companies in acquisition contact", "COMPANIES_IN_CONTACT", []),
        ("large EFRO projects attracted", "EFRO_PROJECTS_ATTRACTED", []),
    ],
    "NICE": [("parties signed up", "PARTIES_SIGNED_UP", [])],
}


def _cases() -> dict[str, Any]:
    cases: dict[str, Any] = yaml.safe_load(
        (REFERENCE / "drenthe_cases.yaml").read_text(encoding="utf-8")
    )
    return cases


def _case_kpis(field: str) -> dict[str, Any]:
    return {
        kpi["name"]: kpi.get(field)
        for project in _cases()["projects"]
        for kpi in project.get("kpis", [])
    }


def _targets() -> dict[str, Any]:
    return _case_kpis("target")


async def seed_demo(uow: KpiUnitOfWork, timeout_s: float = 60) -> int:
    """Declare the case projects' KPIs; returns how many were declared now."""
    targets = _targets()
    projects = await wait_for_projects(
        uow, lambda code: uow.replica.project_by_code(code), list(CASE_KPIS), timeout_s
    )
    declared = 0
    for code, kpis in CASE_KPIS.items():
        project = projects.get(code)
        if project is None:
            continue
        existing = {
            k.indicator_code
            for k in await services.project_kpis(uow, Principal.staff_user(SEEDER), project.id)
        }
        for name, indicator, dimensions in kpis:
            if indicator in existing:
                continue
            target = targets.get(name) if name else None
            data = ProjectKpiIn(
                dimensions=dimensions,
                baseline_value=Decimal(0) if target is not None else None,
                baseline_year=project.start_date.year - 1 if target is not None else None,
                target_value=Decimal(str(target)) if target is not None else None,
                target_date=TARGET_DATE if target is not None else None,
            )
            await services.set_project_kpi(uow, project.id, indicator, data, SEEDER)
            declared += 1
    await _report_realised(uow, projects)
    if projects:

        async def goals_known() -> bool:
            # Goal and project events travel on different partitions.
            known = {
                g.id for g in await uow.replica.goals(next(iter(projects.values())).programme_id)
            }
            linked = await uow.replica.goal_ids(projects[c].id for c in projects)
            return {g for goals in linked.values() for g in goals} <= known

        if await wait_until(uow, goals_known, timeout_s):
            await _seed_results_chain(uow, next(iter(projects.values())).programme_id)
    return declared


async def _report_realised(uow: KpiUnitOfWork, projects: Mapping[str, ProjectReplica]) -> None:
    """The realised figures of the evaluation, reported as one value in REALISED_PERIOD.

    The source gives totals, not quarters: putting them in the programme's last quarter is
    an assumption of the demo. KPIs with a disaggregation are left out (the source splits
    Chemport's settlements by region only in its names). Resending is harmless: an
    unchanged value is not a new version.
    """
    realised = _case_kpis("realised")
    items = [
        {"project": code, "indicator": indicator, "period": REALISED_PERIOD, "value": str(value)}
        for code, kpis in CASE_KPIS.items()
        if code in projects
        for name, indicator, dimensions in kpis
        if name and not dimensions and (value := realised.get(name)) is not None
    ]
    rules = services.IntakeRules(today=date.today(), lock_after_days=None)
    request = services.IntakeRequest(Principal.staff_user(SEEDER), services.parse_items(items))
    (outcome,) = await services.submit_many(uow, [request], rules)
    # The evaluation's figures were reviewed long ago: approved, so they count in the EU
    # report, cost per output and the results chain (which count approved values only) —
    # except IBDO's and HHR's, left in the review queue so that the demo has work in it and
    # shows realised and approved figures apart.
    awaiting_ids = {projects[c].id for c in DEMO_AWAITING_REVIEW if c in projects}
    for item in outcome.items:
        if (
            isinstance(item, services.Accepted)
            and item.fields["state"] == "submitted"
            and item.fields["project_id"] not in awaiting_ids
        ):
            decision = ReviewIn(decision="approve")
            await services.review_report(uow, item.fields["id"], decision, SEEDER)


async def _seed_results_chain(uow: KpiUnitOfWork, programme_id: uuid.UUID | None) -> None:
    """Outcomes of two programme lines from the evaluation's macro figures, and the links
    from case outputs to them (see OUTCOMES and LINKS for what is assumed)."""
    if programme_id is None:
        return
    async with uow:
        goals = {g.code: g.id for g in await uow.replica.goals(programme_id)}
    for goal_code, outcome, values in OUTCOMES:
        if goal_code not in goals:
            continue
        await chain.define_outcome(uow, goals[goal_code], outcome, SEEDER)
        measured = [
            MeasurementIn(
                outcome=outcome.code,
                period=year,
                value=Decimal(str(value)),
                source=MACRO_SOURCE,
                published_on=MACRO_PUBLISHED_ON,
            )
            for year, value in values.items()
        ]
        await chain.record_measurements(uow, programme_id, measured, SEEDER, date.today())
    for goal_code, link in LINKS:
        if goal_code in goals:
            await chain.link(uow, goals[goal_code], link, SEEDER)
