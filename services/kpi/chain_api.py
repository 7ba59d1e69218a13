"""The results chain's HTTP routes (outcomes, their measurements and imports, the outputs'
contributions, goal reviews, the chain itself): the KPI service's second router, beside
`services.kpi.api`, whose dependencies (unit of work, roles, rules) it uses."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from services.kpi import chain
from services.kpi.api import Manager, Rules, Uow
from services.kpi.domain.errors import InvalidKpiInputError
from services.kpi.schemas import (
    ContributionPublic,
    GoalReviewIn,
    GoalReviewPublic,
    LinkIn,
    MeasurementPublic,
    MeasurementsIn,
    OutcomeIndicatorIn,
    OutcomePublic,
    ResultsChainPublic,
)
from shared.auth import Viewer

router = APIRouter(prefix="/v1")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_IMPORT_BYTES = 5_000_000


@router.put("/goals/{goal_id}/outcomes", tags=["results chain"])
async def define_outcome(
    goal_id: uuid.UUID, data: OutcomeIndicatorIn, uow: Uow, user: Manager
) -> OutcomePublic:
    return await chain.define_outcome(uow, goal_id, data, user)


@router.get("/goals/{goal_id}/outcomes", tags=["results chain"])
async def list_outcomes(goal_id: uuid.UUID, uow: Uow, _: Viewer) -> list[OutcomePublic]:
    return await chain.list_outcomes(uow, goal_id)


@router.post(
    "/programmes/{programme_id}/outcome-measurements",
    status_code=status.HTTP_201_CREATED,
    tags=["results chain"],
)
async def record_measurements(
    programme_id: uuid.UUID, data: MeasurementsIn, uow: Uow, user: Manager, rules: Rules
) -> list[MeasurementPublic]:
    """Published statistics, all or nothing; a later publication for a period revises it."""
    return await chain.record_measurements(uow, programme_id, data.measurements, user, rules.today)


@router.post(
    "/programmes/{programme_id}/outcome-measurements/import",
    status_code=status.HTTP_201_CREATED,
    tags=["results chain"],
    max_body_size=MAX_IMPORT_BYTES,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX: {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def import_measurements(
    programme_id: uuid.UUID, request: Request, uow: Uow, user: Manager, rules: Rules
) -> list[MeasurementPublic]:
    """A CSV or XLSX file of statistics (columns outcome, period, value, source,
    published_on); every bad cell is reported by row and column, and then nothing is kept."""
    content = await request.body()
    if len(content) > MAX_IMPORT_BYTES:
        raise InvalidKpiInputError.single(("file",), "the file is larger than 5 MB")
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    items = chain.parse_statistics(content, "upload.xlsx" if kind == XLSX else "upload.csv")
    return await chain.record_measurements(uow, programme_id, items, user, rules.today, loc="file")


@router.put("/goals/{goal_id}/contributions", tags=["results chain"])
async def link_output_to_outcome(
    goal_id: uuid.UUID, data: LinkIn, uow: Uow, user: Manager
) -> ContributionPublic:
    return await chain.link(uow, goal_id, data, user)


@router.post(
    "/goals/{goal_id}/reviews", status_code=status.HTTP_201_CREATED, tags=["results chain"]
)
async def review_goal(
    goal_id: uuid.UUID, data: GoalReviewIn, uow: Uow, user: Manager
) -> GoalReviewPublic:
    return await chain.review(uow, goal_id, data, user)


@router.get("/goals/{goal_id}/results-chain", tags=["results chain"])
async def results_chain(
    goal_id: uuid.UUID,
    uow: Uow,
    _: Viewer,
    first_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    last_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> ResultsChainPublic:
    """Input (money by fund), outputs against targets, outcomes and the contribution of the
    outputs to them — for the years given, or those the outcome was measured in."""
    years = (first_year, last_year) if first_year and last_year else None
    return await chain.results_chain(uow, goal_id, years)
