"""The funding service's REST API: parse, call the service layer, return. Nothing else."""

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from services.funding import reports, services, transmission_diff, transmissions
from services.funding.domain.eu_report import latest_cutoff
from services.funding.domain.funds import FundSource
from services.funding.schemas import (
    BudgetIn,
    BudgetLinePublic,
    CeilingRuleIn,
    CeilingRulePublic,
    DecommitmentIn,
    DecommitmentPublic,
    EfficiencyPublic,
    EuReportPublic,
    FinancingPlanIn,
    FinancingPlanPublic,
    GrantDecisionIn,
    GrantDecisionPublic,
    PaymentIn,
    PaymentPublic,
    PriorityRateIn,
    PriorityRatePublic,
    ProgrammeFundingIn,
    ProgrammeFundingPublic,
    ProjectMoneyPublic,
    SettlementIn,
    SettlementPublic,
    TransmissionDiff,
    TransmissionIn,
    TransmissionPublic,
)
from services.funding.uow import FundingUnitOfWork
from shared.auth import Role, StaffUser, Viewer, require_roles
from shared.http import writes
from shared.inputs import IsoDate


def get_uow(request: Request) -> FundingUnitOfWork:
    runtime = request.app.state.runtime
    return FundingUnitOfWork(
        runtime.sessions, source=runtime.settings.service_name, write=writes(request)
    )


def get_today(request: Request) -> date:
    today: date = request.app.state.today()
    return today


Uow = Annotated[FundingUnitOfWork, Depends(get_uow)]
Today = Annotated[date, Depends(get_today)]
Finance = Annotated[StaffUser, Depends(require_roles(Role.FINANCE_OFFICER))]

router = APIRouter(prefix="/v1")


@router.get("/rules/ceilings", tags=["rules"])
async def list_ceilings(uow: Uow, _: Viewer) -> list[CeilingRulePublic]:
    return await services.list_ceilings(uow)


@router.post("/rules/ceilings", status_code=status.HTTP_201_CREATED, tags=["rules"])
async def set_ceiling(data: CeilingRuleIn, uow: Uow, user: Finance) -> CeilingRulePublic:
    return await services.set_ceiling(uow, data, user)


@router.get("/programmes/{programme_id}/funding", tags=["rules"])
async def get_programme_funding(
    programme_id: uuid.UUID, uow: Uow, _: Viewer
) -> ProgrammeFundingPublic:
    return await services.get_programme_funding(uow, programme_id)


@router.put("/programmes/{programme_id}/funding", tags=["rules"])
async def set_programme_funding(
    programme_id: uuid.UUID, data: ProgrammeFundingIn, uow: Uow, user: Finance
) -> ProgrammeFundingPublic:
    return await services.set_programme_funding(uow, programme_id, data, user)


@router.get("/programmes/{programme_id}/rates", tags=["rules"])
async def list_priority_rates(
    programme_id: uuid.UUID, uow: Uow, _: Viewer
) -> list[PriorityRatePublic]:
    return await services.list_priority_rates(uow, programme_id)


@router.post(
    "/programmes/{programme_id}/rates", status_code=status.HTTP_201_CREATED, tags=["rules"]
)
async def set_priority_rate(
    programme_id: uuid.UUID, data: PriorityRateIn, uow: Uow, user: Finance
) -> PriorityRatePublic:
    return await services.set_priority_rate(uow, programme_id, data, user)


@router.get("/projects/{project_id}/funding", tags=["projects"])
async def project_money(project_id: uuid.UUID, uow: Uow, _: Viewer) -> ProjectMoneyPublic:
    return await services.project_money(uow, project_id)


@router.put("/projects/{project_id}/plan", tags=["projects"])
async def set_plan(
    project_id: uuid.UUID, data: FinancingPlanIn, uow: Uow, user: Finance, today: Today
) -> FinancingPlanPublic:
    return await services.set_plan(uow, project_id, data, user, today)


@router.get("/projects/{project_id}/plan/versions", tags=["projects"])
async def plan_history(project_id: uuid.UUID, uow: Uow, _: Viewer) -> list[FinancingPlanPublic]:
    return await services.plan_history(uow, project_id)


@router.post(
    "/projects/{project_id}/grants", status_code=status.HTTP_201_CREATED, tags=["projects"]
)
async def decide_grant(
    project_id: uuid.UUID, data: GrantDecisionIn, uow: Uow, user: Finance
) -> GrantDecisionPublic:
    return await services.decide_grant(uow, project_id, data, user)


@router.post(
    "/projects/{project_id}/decommitments",
    status_code=status.HTTP_201_CREATED,
    tags=["projects"],
)
async def decommit(
    project_id: uuid.UUID, data: DecommitmentIn, uow: Uow, user: Finance
) -> DecommitmentPublic:
    """Amend a fund's grants down: first this, then a plan that foresees less from the fund."""
    return await services.decommit(uow, project_id, data, user)


@router.post(
    "/projects/{project_id}/payments", status_code=status.HTTP_201_CREATED, tags=["projects"]
)
async def pay(project_id: uuid.UUID, data: PaymentIn, uow: Uow, user: Finance) -> PaymentPublic:
    return await services.pay(uow, project_id, data, user)


@router.post(
    "/projects/{project_id}/settlements", status_code=status.HTTP_201_CREATED, tags=["projects"]
)
async def settle(
    project_id: uuid.UUID, data: SettlementIn, uow: Uow, user: Finance
) -> SettlementPublic:
    return await services.settle(uow, project_id, data, user)


@router.get("/programmes/{programme_id}/budgets", tags=["programmes"])
async def budget_lines(programme_id: uuid.UUID, uow: Uow, _: Viewer) -> list[BudgetLinePublic]:
    return await services.budget_lines(uow, programme_id)


@router.put("/programmes/{programme_id}/budgets", tags=["programmes"])
async def set_budget(
    programme_id: uuid.UUID, data: BudgetIn, uow: Uow, user: Finance
) -> BudgetLinePublic:
    return await services.set_budget(uow, programme_id, data, user)


@router.get("/programmes/{programme_id}/efficiency", tags=["programmes"])
async def efficiency(programme_id: uuid.UUID, uow: Uow, _: Viewer) -> list[EfficiencyPublic]:
    return await services.efficiency(uow, programme_id)


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/programmes/{programme_id}/eu-reports/{fund}",
    tags=["programmes"],
    response_model=EuReportPublic,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
async def eu_report(
    programme_id: uuid.UUID,
    fund: FundSource,
    uow: Uow,
    _: Viewer,
    today: Today,
    as_of: Annotated[
        IsoDate | None,
        Query(description="default: the latest cut-off (31 January or 31 July)"),
    ] = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> EuReportPublic | Response:
    report = await reports.eu_report(uow, programme_id, fund, as_of or latest_cutoff(today))
    if format == "json":
        return report
    name = f"eu-report-{fund.value}-{report.as_of.isoformat()}.{format}"
    body = reports.render_csv(report) if format == "csv" else reports.render_xlsx(report)
    return Response(
        content=body,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- sealed transmissions (ADR 30) -----------------------------------------------------------

TRANSMISSIONS = "/programmes/{programme_id}/eu-reports/{fund}/transmissions"


def get_policy(request: Request) -> transmissions.LateDataPolicy:
    settings = request.app.state.runtime.settings
    return transmissions.LateDataPolicy(
        reason_required=settings.late_data_reason_required, notify=settings.late_data_notify
    )


@router.post(TRANSMISSIONS, status_code=status.HTTP_201_CREATED, tags=["transmissions"])
async def transmit(
    programme_id: uuid.UUID,
    fund: FundSource,
    data: TransmissionIn,
    uow: Uow,
    user: Finance,
    policy: Annotated[transmissions.LateDataPolicy, Depends(get_policy)],
) -> TransmissionPublic:
    """Seal the fund's EU report at a cut-off: frozen, numbered, in the audit trail. A cut-off
    transmitted before is a 409 unless this is a correction (`corrects`, with a reason)."""
    return await transmissions.transmit(uow, programme_id, fund, data, user, policy)


@router.get(TRANSMISSIONS, tags=["transmissions"])
async def list_transmissions(
    programme_id: uuid.UUID, fund: FundSource, uow: Uow, _: Viewer
) -> list[TransmissionPublic]:
    return await transmissions.list_transmissions(uow, programme_id, fund)


@router.get(
    TRANSMISSIONS + "/{number}",
    tags=["transmissions"],
    responses={
        200: {"content": {"application/json": {}, **{m: {} for m in MEDIA.values()}}},
    },
)
async def transmission_file(
    programme_id: uuid.UUID,
    fund: FundSource,
    number: int,
    uow: Uow,
    _: Viewer,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Response:
    """The transmission as it was sealed, byte for byte (`X-Content-SHA256` is its digest)."""
    data, row = await transmissions.transmission_file(uow, programme_id, fund, number, format)
    name = f"eu-transmission-{row.label}-{row.as_of.isoformat()}.{format}"
    digest = {"json": row.json_sha256, "csv": row.csv_sha256, "xlsx": row.xlsx_sha256}[format]
    return Response(
        content=data,
        media_type=MEDIA.get(format, "application/json"),
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-SHA256": digest,
        },
    )


@router.get(TRANSMISSIONS + "/{number}/diff", tags=["transmissions"])
async def diff_transmission(
    programme_id: uuid.UUID, fund: FundSource, number: int, uow: Uow, _: Viewer
) -> TransmissionDiff:
    """What changed since: the figures of the cut-off today beside the transmitted ones, and
    the report versions behind them (late reports, revisions, approvals, returns), with
    their reasons and actors, and the restatements flagged against this transmission."""
    return await transmission_diff.diff(uow, programme_id, fund, number)
