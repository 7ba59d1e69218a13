"""The Drenthe demo's KPIs and targets, declared through the service layer.

Which indicator each case KPI is, and the targets, come from
reference/drenthe_cases.yaml. Assumptions where the source is silent: KPIs are
reported quarterly; flows start from a baseline of 0 the year before the project
started; targets fall due at the end of the 2016-2019 programme (2019-12-31), which for
Health Hub Roden's "20 new companies within 5 years" (started 2015) is the same date.
The seed waits until the registry's projects have reached this service's replica.
"""

from datetime import date
from decimal import Decimal
from typing import Any

import yaml

from services.kpi import services
from services.kpi.access import Principal
from services.kpi.catalogue import REFERENCE
from services.kpi.schemas import ProjectKpiIn
from services.kpi.uow import KpiUnitOfWork
from shared.auth import Role, StaffUser
from shared.seeding import wait_for_projects

SEEDER = StaffUser(username="seed", roles=frozenset({Role.ADMIN}))
TARGET_DATE = date(2019, 12, 31)

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


def _targets() -> dict[str, Any]:
    cases = yaml.safe_load((REFERENCE / "drenthe_cases.yaml").read_text(encoding="utf-8"))
    return {
        kpi["name"]: kpi.get("target")
        for project in cases["projects"]
        for kpi in project.get("kpis", [])
    }


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
    return declared
