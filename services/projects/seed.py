"""The Drenthe demo programme, seeded through the service layer (so it emits its events).

Facts come from reference/drenthe_cases.yaml. The registry needs a few values the
source does not state; each is listed in `ASSUMED` below and nowhere else. Seeding
is idempotent: what exists (by name or code) is left alone.
"""

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from services.projects import services
from services.projects.domain import GoalKind, MemberRole, OrganisationKind, ProjectStatus
from services.projects.schemas import (
    GoalNodeCreate,
    OrganisationCreate,
    PartnerIn,
    ProgrammeCreate,
    ProjectCreate,
    ProjectStatusChangeIn,
)
from services.projects.uow import RegistryUnitOfWork
from shared.auth import Role, StaffUser

CASES = Path(__file__).resolve().parents[2] / "reference" / "drenthe_cases.yaml"
SEEDER = StaffUser(username="seed", roles=frozenset({Role.ADMIN}))

ORGANISATION_KINDS: dict[str, OrganisationKind] = {
    "Provincie Drenthe": OrganisationKind.PROVINCE,
    "Provincie Groningen": OrganisationKind.PROVINCE,
    "Gemeente Emmen": OrganisationKind.MUNICIPALITY,
    "Gemeente Noordenveld": OrganisationKind.MUNICIPALITY,
    "Hanzehogeschool": OrganisationKind.KNOWLEDGE_INSTITUTION,
    "UWV": OrganisationKind.NATIONAL_GOVERNMENT,
    # Unions, employers' organisations and sector training funds.
    **dict.fromkeys(
        ["FNV", "CNV", "Koninklijke Metaalunie", "Uneto-VNI", "A+O Metaelektro", "OTIB", "OOM"],
        OrganisationKind.FOUNDATION_ASSOCIATION,
    ),
}

# Values the source does not give. Codes are ours; where no lead partner is named the
# province, which facilitates and co-finances, stands as lead; end dates default to the
# end of the 2016-2019 programme and start dates to its start unless `started` is given.
ASSUMED: dict[str, dict[str, Any]] = {
    "Ik Ben Drents Ondernemer (IBDO)": {"code": "IBDO", "lead": "Provincie Drenthe"},
    "Servicepunt Techniek Drenthe (SPT)": {"code": "SPT", "lead": "Provincie Drenthe"},
    "Health Hub Roden": {"code": "HHR", "municipality": "Noordenveld"},
    "Chemport Europe": {"code": "CHEMPORT", "lead": "Provincie Drenthe"},
    "Noordelijk Innovatielab Circulaire Economie (NICE)": {
        "code": "NICE",
        "lead": "Provincie Drenthe",
    },
}
DEFAULT_END = date(2019, 12, 31)


def _code(name: str) -> str:
    """A goal-node code from its name: upper-case letters and digits, hyphenated."""
    cleaned = "".join(c if c.isalnum() else " " for c in name.upper())
    return "-".join(cleaned.split())[:40]


async def _organisation(uow: RegistryUnitOfWork, name: str) -> uuid.UUID:
    async with uow:
        existing = await uow.organisations.by_name(name)
    if existing:
        return existing.id
    kind = ORGANISATION_KINDS.get(name, OrganisationKind.OTHER)
    created = await services.register_organisation(
        uow, OrganisationCreate(name=name, kind=kind), SEEDER
    )
    return created.id


async def _programme(
    uow: RegistryUnitOfWork, name: str, start: int, end: int, owner: uuid.UUID
) -> uuid.UUID:
    async with uow:
        existing = await uow.programmes.by_name(name)
    if existing:
        return existing.id
    data = ProgrammeCreate(
        name=name, period_start=start, period_end=end, region="Drenthe", owner_organisation_id=owner
    )
    return (await services.create_programme(uow, data, SEEDER)).id


async def _goal(
    uow: RegistryUnitOfWork, programme_id: uuid.UUID, kind: GoalKind, name: str, prefix: str
) -> uuid.UUID:
    code = f"{prefix}-{_code(name)}"[:40]
    async with uow:
        existing = await uow.programmes.goal_by_code(programme_id, code)
    if existing:
        return existing.id
    data = GoalNodeCreate(kind=kind, code=code, name=name)
    return (await services.add_goal(uow, programme_id, data, SEEDER)).id


async def _project(
    uow: RegistryUnitOfWork,
    case: dict[str, Any],
    programme_id: uuid.UUID,
    lines: dict[str, uuid.UUID],
) -> None:
    assumed = ASSUMED[case["name"]]
    async with uow:
        if await uow.projects.by_code(assumed["code"]):
            return
    lead_name = case.get("lead_partner") or assumed["lead"]
    lead = await _organisation(uow, lead_name)
    partner_names = [n for n in case.get("partners", []) if n != lead_name]
    co_funders = [
        n for n in case.get("co_funders", []) if n != lead_name and n not in partner_names
    ]
    partners = [
        PartnerIn(organisation_id=await _organisation(uow, n), role=MemberRole.PARTNER)
        for n in partner_names
    ]
    partners += [
        PartnerIn(organisation_id=await _organisation(uow, n), role=MemberRole.CO_FINANCIER)
        for n in co_funders
    ]
    data = ProjectCreate(
        code=assumed["code"],
        name=case["name"],
        description=case.get("reporting", ""),
        programme_id=programme_id,
        lead_organisation_id=lead,
        partners=partners,
        goal_ids=[lines[line] for line in case["programme_lines"]],
        start_date=date(int(case.get("started", 2016)), 1, 1),
        end_date=DEFAULT_END,
        municipality=assumed.get("municipality"),
    )
    project = await services.register_project(uow, data, SEEDER)
    for status in (ProjectStatus.SUBMITTED, ProjectStatus.APPROVED, ProjectStatus.RUNNING):
        await services.change_project_status(
            uow, project.id, ProjectStatusChangeIn(status=status), SEEDER
        )


async def seed_demo(uow: RegistryUnitOfWork) -> None:
    """Seed both Drenthe programmes and the five case projects (into the 2016-2019 lines)."""
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    province = await _organisation(uow, "Provincie Drenthe")

    old = cases["programme_2016_2019"]
    old_id = await _programme(uow, old["name"], 2016, 2019, province)
    lines = {
        name: await _goal(uow, old_id, GoalKind.PROGRAMME_LINE, name, "PL")
        for name in old["programme_lines"]
    }

    new = cases["programme_2020_2023"]
    new_id = await _programme(uow, new["name"], 2020, 2023, province)
    for name in new["guiding_lines"]:
        await _goal(uow, new_id, GoalKind.GUIDING_LINE, name, "GL")
    for name in new["spearheads"]:
        await _goal(uow, new_id, GoalKind.SPEARHEAD, name, "SP")
    for name in new["foundation"]:
        await _goal(uow, new_id, GoalKind.FOUNDATION_THEME, name, "FT")

    for case in cases["projects"]:
        await _project(uow, case, old_id, lines)
