"""Data access for the funding service, one repository per aggregate; no rules here."""

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func
from sqlalchemy.orm import defer
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.funding.models import (
    Budget,
    CeilingRuleRow,
    DeclaredTarget,
    DefinitionReplica,
    FinancingPlan,
    GoalReplica,
    GrantDecision,
    GrantDecommitment,
    Payment,
    PlanContribution,
    PlanGoalShare,
    PriorityRateRow,
    ProgrammeFunding,
    ProgrammeReplica,
    ProjectGoalReplica,
    ProjectReplica,
    RealisedHistory,
    RealisedOutput,
    ReportVersionReplica,
    RestatementReplica,
    Settlement,
    Transmission,
    TransmissionRestatement,
)
from shared.db import table_of, upsert_replace


@dataclass(frozen=True)
class PlanVersion:
    """A plan version with its contributions and goal shares."""

    plan: FinancingPlan
    contributions: dict[str, Any]
    goal_shares: dict[uuid.UUID, Any]


class RulesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, item: CeilingRuleRow | PriorityRateRow | ProgrammeFunding) -> None:
        self.session.add(item)

    async def ceilings(self) -> list[CeilingRuleRow]:
        result = await self.session.exec(
            select(CeilingRuleRow).order_by(
                col(CeilingRuleRow.fund),
                col(CeilingRuleRow.region_category),
                col(CeilingRuleRow.effective_from),
            )
        )
        return list(result.all())

    async def ceiling(
        self, fund: str, category: str, effective_from: date
    ) -> CeilingRuleRow | None:
        result = await self.session.exec(
            select(CeilingRuleRow).where(
                CeilingRuleRow.fund == fund,
                CeilingRuleRow.region_category == category,
                CeilingRuleRow.effective_from == effective_from,
            )
        )
        return result.first()

    async def programme(self, programme_id: uuid.UUID) -> ProgrammeFunding | None:
        return await self.session.get(ProgrammeFunding, programme_id)

    async def priority_rates(self, programme_id: uuid.UUID) -> list[PriorityRateRow]:
        result = await self.session.exec(
            select(PriorityRateRow)
            .where(PriorityRateRow.programme_id == programme_id)
            .order_by(col(PriorityRateRow.effective_from))
        )
        return list(result.all())

    async def priority_rate(
        self, programme_id: uuid.UUID, goal_id: uuid.UUID, fund: str, effective_from: date
    ) -> PriorityRateRow | None:
        return await self.session.get(
            PriorityRateRow, (programme_id, goal_id, fund, effective_from)
        )


class PlanRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self, plan: FinancingPlan, contributions: dict[str, Any], shares: dict[uuid.UUID, Any]
    ) -> None:
        self.session.add(plan)
        for source, amount in contributions.items():
            self.session.add(
                PlanContribution(
                    project_id=plan.project_id, version=plan.version, source=source, amount=amount
                )
            )
        for goal_id, share in shares.items():
            self.session.add(
                PlanGoalShare(
                    project_id=plan.project_id, version=plan.version, goal_id=goal_id, share=share
                )
            )

    async def latest_version(self, project_id: uuid.UUID) -> int:
        result = await self.session.exec(
            select(func.max(FinancingPlan.version)).where(FinancingPlan.project_id == project_id)
        )
        return int(result.one() or 0)

    async def versions(
        self, project_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, list[PlanVersion]]:
        """Every plan version of the projects, oldest first."""
        ids = set(project_ids)
        if not ids:
            return {}
        plans = await self.session.exec(
            select(FinancingPlan)
            .where(col(FinancingPlan.project_id).in_(ids))
            .order_by(col(FinancingPlan.project_id), col(FinancingPlan.version))
        )
        contributions = await self.session.exec(
            select(PlanContribution).where(col(PlanContribution.project_id).in_(ids))
        )
        shares = await self.session.exec(
            select(PlanGoalShare).where(col(PlanGoalShare.project_id).in_(ids))
        )
        money: dict[tuple[uuid.UUID, int], dict[str, Any]] = defaultdict(dict)
        for c in contributions.all():
            money[(c.project_id, c.version)][c.source] = c.amount
        split: dict[tuple[uuid.UUID, int], dict[uuid.UUID, Any]] = defaultdict(dict)
        for s in shares.all():
            split[(s.project_id, s.version)][s.goal_id] = s.share
        found: dict[uuid.UUID, list[PlanVersion]] = defaultdict(list)
        for p in plans.all():
            key = (p.project_id, p.version)
            found[p.project_id].append(PlanVersion(p, money[key], split[key]))
        return dict(found)

    async def latest(self, project_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, PlanVersion]:
        return {p: vs[-1] for p, vs in (await self.versions(project_ids)).items()}


class MoneyRepository:
    """Grant decisions, de-commitments, payments and settlements."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, item: GrantDecision | GrantDecommitment | Payment | Settlement) -> None:
        self.session.add(item)

    async def reference_taken(self, reference: str) -> bool:
        """Whether a grant decision or a de-commitment already carries `reference`."""
        for model in (GrantDecision, GrantDecommitment):
            result = await self.session.exec(select(model.id).where(model.reference == reference))
            if result.first() is not None:
                return True
        return False

    async def grants(self, project_ids: Iterable[uuid.UUID]) -> list[GrantDecision]:
        result = await self.session.exec(
            select(GrantDecision)
            .where(col(GrantDecision.project_id).in_(set(project_ids)))
            .order_by(col(GrantDecision.decided_on), col(GrantDecision.created_at))
        )
        return list(result.all())

    async def decommitments(self, project_ids: Iterable[uuid.UUID]) -> list[GrantDecommitment]:
        result = await self.session.exec(
            select(GrantDecommitment)
            .where(col(GrantDecommitment.project_id).in_(set(project_ids)))
            .order_by(col(GrantDecommitment.decided_on), col(GrantDecommitment.created_at))
        )
        return list(result.all())

    async def payments(self, project_ids: Iterable[uuid.UUID]) -> list[Payment]:
        result = await self.session.exec(
            select(Payment)
            .where(col(Payment.project_id).in_(set(project_ids)))
            .order_by(col(Payment.paid_on), col(Payment.created_at))
        )
        return list(result.all())

    async def settlements(self, project_ids: Iterable[uuid.UUID]) -> list[Settlement]:
        result = await self.session.exec(
            select(Settlement).where(col(Settlement.project_id).in_(set(project_ids)))
        )
        return list(result.all())


class BudgetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_programme(self, programme_id: uuid.UUID) -> list[Budget]:
        result = await self.session.exec(select(Budget).where(Budget.programme_id == programme_id))
        return list(result.all())

    async def put(self, budget: Budget) -> None:
        keys = ["programme_id", "goal_id", "fund"]
        await upsert_replace(self.session, table_of(Budget), [budget.model_dump()], keys)


class ReplicaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, row: ProgrammeReplica | GoalReplica | ProjectReplica) -> None:
        await upsert_replace(self.session, table_of(type(row)), [row.model_dump()], ["id"])

    async def programme(self, programme_id: uuid.UUID) -> ProgrammeReplica | None:
        return await self.session.get(ProgrammeReplica, programme_id)

    async def goals(self, programme_id: uuid.UUID) -> list[GoalReplica]:
        result = await self.session.exec(
            select(GoalReplica)
            .where(GoalReplica.programme_id == programme_id)
            .order_by(col(GoalReplica.code))
        )
        return list(result.all())

    async def goal(self, goal_id: uuid.UUID) -> GoalReplica | None:
        return await self.session.get(GoalReplica, goal_id)

    async def project(self, project_id: uuid.UUID) -> ProjectReplica | None:
        return await self.session.get(ProjectReplica, project_id)

    async def project_by_code(self, code: str) -> ProjectReplica | None:
        result = await self.session.exec(select(ProjectReplica).where(ProjectReplica.code == code))
        return result.first()

    async def projects_of(self, programme_id: uuid.UUID) -> list[ProjectReplica]:
        result = await self.session.exec(
            select(ProjectReplica)
            .where(ProjectReplica.programme_id == programme_id)
            .order_by(col(ProjectReplica.code))
        )
        return list(result.all())

    async def goal_ids(self, project_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        result = await self.session.exec(
            select(ProjectGoalReplica)
            .where(col(ProjectGoalReplica.project_id).in_(set(project_ids)))
            .order_by(col(ProjectGoalReplica.goal_id))
        )
        links: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for link in result.all():
            links[link.project_id].append(link.goal_id)
        return dict(links)

    async def replace_goals(self, project_id: uuid.UUID, goal_ids: Iterable[uuid.UUID]) -> None:
        await self.session.exec(
            delete(ProjectGoalReplica).where(col(ProjectGoalReplica.project_id) == project_id)
        )
        for goal_id in set(goal_ids):
            self.session.add(ProjectGoalReplica(project_id=project_id, goal_id=goal_id))


class OutputRepository:
    """Realised outputs as the KPI service announced them."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, outputs: list[RealisedOutput]) -> None:
        """The outputs as they are now, and each in its history by the date it counts to."""
        await upsert_replace(
            self.session,
            table_of(RealisedOutput),
            [o.model_dump() for o in outputs],
            ["project_id", "indicator_code"],
        )
        await upsert_replace(
            self.session,
            table_of(RealisedHistory),
            [
                {
                    "project_id": o.project_id,
                    "indicator_code": o.indicator_code,
                    "as_of": o.as_of,
                    "realised": o.realised,
                    "approved": o.approved,
                    "pending_reports": o.pending_reports,
                    "pending_value": o.pending_value,
                    "flagged_reports": o.flagged_reports,
                }
                for o in outputs
                if o.as_of is not None
            ],
            ["project_id", "indicator_code", "as_of"],
        )

    async def realised(self, project_ids: Iterable[uuid.UUID]) -> list[RealisedOutput]:
        result = await self.session.exec(
            select(RealisedOutput)
            .where(col(RealisedOutput.project_id).in_(set(project_ids)))
            .order_by(col(RealisedOutput.indicator_code))
        )
        return list(result.all())

    async def history(self, project_ids: Iterable[uuid.UUID], until: date) -> list[RealisedHistory]:
        result = await self.session.exec(
            select(RealisedHistory).where(
                col(RealisedHistory.project_id).in_(set(project_ids)),
                col(RealisedHistory.as_of) <= until,
            )
        )
        return list(result.all())

    async def put_target(self, target: DeclaredTarget) -> None:
        """A project's declared target as it is now (a redelivery writes the same again)."""
        await upsert_replace(
            self.session,
            table_of(DeclaredTarget),
            [target.model_dump()],
            ["project_id", "indicator_code"],
        )

    async def targets(self, project_ids: Iterable[uuid.UUID]) -> list[DeclaredTarget]:
        result = await self.session.exec(
            select(DeclaredTarget).where(col(DeclaredTarget.project_id).in_(set(project_ids)))
        )
        return list(result.all())


class TransmissionRepository:
    """Sealed transmissions (only ever added), and the report versions and restatements
    the KPI service announced (replicas)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, item: Transmission | TransmissionRestatement) -> None:
        self.session.add(item)

    async def of_fund(self, programme_id: uuid.UUID, fund: str) -> list[Transmission]:
        """Without their files (deferred): a list, or the numbering of a new one."""
        result = await self.session.exec(
            select(Transmission)
            .where(Transmission.programme_id == programme_id, Transmission.fund == fund)
            .options(
                defer(Transmission.document),  # type: ignore[arg-type]
                defer(Transmission.csv),  # type: ignore[arg-type]
                defer(Transmission.xlsx),  # type: ignore[arg-type]
            )
            .order_by(col(Transmission.number))
        )
        return list(result.all())

    async def get(self, programme_id: uuid.UUID, fund: str, number: int) -> Transmission | None:
        result = await self.session.exec(
            select(Transmission).where(
                Transmission.programme_id == programme_id,
                Transmission.fund == fund,
                Transmission.number == number,
            )
        )
        return result.first()

    async def carried(self) -> set[uuid.UUID]:
        """Restatements an earlier transmission already carries."""
        result = await self.session.exec(select(TransmissionRestatement.report_id))
        return set(result.all())

    async def versions(
        self,
        project_ids: Iterable[uuid.UUID],
        until: date,
        indicators: Iterable[str] | None = None,
    ) -> list[ReportVersionReplica]:
        """The projects' report versions for periods ending by `until` (of `indicators`
        only, when given), in cell and version order."""
        wanted = (
            [col(ReportVersionReplica.indicator_code).in_(set(indicators))] if indicators else []
        )
        result = await self.session.exec(
            select(ReportVersionReplica)
            .where(
                col(ReportVersionReplica.project_id).in_(set(project_ids)),
                col(ReportVersionReplica.period_end) <= until,
                *wanted,
            )
            .order_by(
                col(ReportVersionReplica.project_id),
                col(ReportVersionReplica.indicator_code),
                col(ReportVersionReplica.period),
                col(ReportVersionReplica.dimension_key),
                col(ReportVersionReplica.version),
            )
        )
        return list(result.all())

    async def version(self, report_id: uuid.UUID) -> ReportVersionReplica | None:
        return await self.session.get(ReportVersionReplica, report_id)

    def put_version(self, row: ReportVersionReplica) -> None:
        self.session.add(row)

    async def put_restatement(self, row: RestatementReplica) -> None:
        await upsert_replace(
            self.session, table_of(RestatementReplica), [row.model_dump()], ["report_id"]
        )

    async def restatements(self, project_ids: Iterable[uuid.UUID]) -> list[RestatementReplica]:
        result = await self.session.exec(
            select(RestatementReplica)
            .where(col(RestatementReplica.project_id).in_(set(project_ids)))
            .order_by(col(RestatementReplica.recorded_at), col(RestatementReplica.report_id))
        )
        return list(result.all())

    async def put_definitions(self, code: str, rows: list[DefinitionReplica]) -> None:
        """An indicator's definitions as last announced (every version: the full state)."""
        await self.session.exec(
            delete(DefinitionReplica).where(col(DefinitionReplica.indicator_code) == code)
        )
        for row in rows:
            self.session.add(row)

    async def definitions(self, codes: Iterable[str]) -> dict[str, list[DefinitionReplica]]:
        """Per indicator, its announced definitions, oldest first."""
        result = await self.session.exec(
            select(DefinitionReplica)
            .where(col(DefinitionReplica.indicator_code).in_(set(codes)))
            .order_by(col(DefinitionReplica.indicator_code), col(DefinitionReplica.version))
        )
        found: dict[str, list[DefinitionReplica]] = defaultdict(list)
        for row in result.all():
            found[row.indicator_code].append(row)
        return dict(found)
