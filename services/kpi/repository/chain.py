"""The results chain's own tables: outcomes, measurements, links, reviews, inputs."""

import uuid
from collections.abc import Iterable

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.kpi.models import (
    ContributionLink,
    GoalInput,
    GoalReview,
    OutcomeIndicator,
    OutcomeMeasurement,
)
from shared.db import (
    table_of,
    upsert_replace,
)


class ChainRepository:
    """The results chain: outcome indicators, measurements, links, reviews, money per goal."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self, item: OutcomeIndicator | OutcomeMeasurement | ContributionLink | GoalReview
    ) -> None:
        self.session.add(item)

    async def outcome(self, outcome_id: uuid.UUID) -> OutcomeIndicator | None:
        return await self.session.get(OutcomeIndicator, outcome_id)

    async def outcome_by_code(self, programme_id: uuid.UUID, code: str) -> OutcomeIndicator | None:
        result = await self.session.exec(
            select(OutcomeIndicator).where(
                OutcomeIndicator.programme_id == programme_id, OutcomeIndicator.code == code
            )
        )
        return result.first()

    async def outcomes_of(self, goal_ids: Iterable[uuid.UUID]) -> list[OutcomeIndicator]:
        result = await self.session.exec(
            select(OutcomeIndicator)
            .where(col(OutcomeIndicator.goal_id).in_(set(goal_ids)))
            .order_by(col(OutcomeIndicator.code))
        )
        return list(result.all())

    async def outcomes_by_codes(
        self, programme_id: uuid.UUID, codes: Iterable[str]
    ) -> dict[str, OutcomeIndicator]:
        result = await self.session.exec(
            select(OutcomeIndicator).where(
                OutcomeIndicator.programme_id == programme_id,
                col(OutcomeIndicator.code).in_(set(codes)),
            )
        )
        return {o.code: o for o in result.all()}

    async def measurements(self, outcome_ids: Iterable[uuid.UUID]) -> list[OutcomeMeasurement]:
        result = await self.session.exec(
            select(OutcomeMeasurement)
            .where(col(OutcomeMeasurement.outcome_id).in_(set(outcome_ids)))
            .order_by(
                col(OutcomeMeasurement.period),
                col(OutcomeMeasurement.published_on),
                col(OutcomeMeasurement.revision),
            )
        )
        return list(result.all())

    async def last_revision(self, outcome_id: uuid.UUID, period: str) -> int:
        result = await self.session.exec(
            select(func.max(OutcomeMeasurement.revision)).where(
                OutcomeMeasurement.outcome_id == outcome_id, OutcomeMeasurement.period == period
            )
        )
        return int(result.one() or 0)

    async def links(self, goal_id: uuid.UUID) -> list[ContributionLink]:
        result = await self.session.exec(
            select(ContributionLink)
            .where(ContributionLink.goal_id == goal_id)
            .order_by(col(ContributionLink.output_indicator))
        )
        return list(result.all())

    async def link(
        self, goal_id: uuid.UUID, output_indicator: str, outcome_id: uuid.UUID
    ) -> ContributionLink | None:
        return await self.session.get(ContributionLink, (goal_id, output_indicator, outcome_id))

    async def reviews(self, goal_id: uuid.UUID) -> list[GoalReview]:
        result = await self.session.exec(
            select(GoalReview)
            .where(GoalReview.goal_id == goal_id)
            .order_by(col(GoalReview.reviewed_at), col(GoalReview.id))
        )
        return list(result.all())

    async def inputs(self, goal_id: uuid.UUID) -> list[GoalInput]:
        result = await self.session.exec(
            select(GoalInput).where(GoalInput.goal_id == goal_id).order_by(col(GoalInput.fund))
        )
        return list(result.all())

    async def put_input(self, row: GoalInput) -> None:
        table = table_of(GoalInput)
        await upsert_replace(self.session, table, [row.model_dump()], ["goal_id", "fund"])
