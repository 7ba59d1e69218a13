"""The chain view of a goal: input (money), outputs (approved totals, what awaits review),
progress per project, outcomes, and each output's computed contribution to its outcome."""

import uuid
from decimal import Decimal

from services.kpi import queries
from services.kpi.chain.common import known_goal
from services.kpi.chain.outcomes import list_outcomes
from services.kpi.domain import outcomes
from services.kpi.domain.kinds import kind_of
from services.kpi.domain.outcomes import LinkKind, OutcomeKind
from services.kpi.domain.series import Measure
from services.kpi.models import ContributionLink, GoalReplica
from services.kpi.projection import APPROVED
from services.kpi.replica import subtree
from services.kpi.schemas import (
    ContributionPublic,
    GoalReviewPublic,
    MoneyPublic,
    OutcomePublic,
    PendingOutputPublic,
    ProjectProgressLine,
    ResultsChainPublic,
)
from services.kpi.uow import KpiUnitOfWork


async def results_chain(
    uow: KpiUnitOfWork, goal_id: uuid.UUID, years: tuple[int, int] | None = None
) -> ResultsChainPublic:
    async with uow:
        goal = await known_goal(uow, goal_id)
        inputs = await uow.chain.inputs(goal_id)
        links = await uow.chain.links(goal_id)
        reviews = await uow.chain.reviews(goal_id)
        progress = await _progress_lines(uow, goal)
    outcome_list = await list_outcomes(uow, goal_id)
    # reviewed figures: approved values only, what awaits review beside them (ADR 8)
    aggregates = await queries.aggregates(uow, goal_id, None, None, None, True)
    contributions = await _contributions(uow, goal_id, links, outcome_list, years)
    return ResultsChainPublic(
        goal_id=goal.id,
        code=goal.code,
        name=goal.name,
        input=[
            MoneyPublic(fund=i.fund, allocated=i.allocated, committed=i.committed, paid=i.paid)
            for i in inputs
            if i.allocated or i.committed or i.paid
        ],
        outputs=aggregates,
        pending=_pending(progress),
        progress=progress,
        outcomes=outcome_list,
        contributions=contributions,
        reviews=[GoalReviewPublic.model_validate(r, from_attributes=True) for r in reviews],
    )


async def _progress_lines(uow: KpiUnitOfWork, goal: GoalReplica) -> list[ProjectProgressLine]:
    below = subtree(goal.id, await uow.replica.goals(goal.programme_id))
    projects = await uow.replica.projects(await uow.replica.projects_on_goals(below))
    lines = []
    for project in sorted(projects.values(), key=lambda p: p.code):
        kpis = {k.indicator_code: k for k in await uow.kpis.of_project(project.id)}
        for code, state in sorted((await uow.totals.progress(project.id)).items()):
            kpi = kpis.get(code)
            lines.append(
                ProjectProgressLine(
                    project_code=project.code,
                    indicator_code=code,
                    realised=state.realised,
                    target_value=kpi.target_value if kpi else None,
                    percent_of_target=state.percent_of_target,
                    status=state.status,
                    approved=state.approved,
                    pending_reports=state.pending_reports,
                    pending_value=state.pending_value,
                    flagged_reports=state.flagged_reports,
                )
            )
    return lines


def _pending(lines: list[ProjectProgressLine]) -> list[PendingOutputPublic]:
    found: dict[str, PendingOutputPublic] = {}
    for line in lines:
        if not line.pending_reports:
            continue
        total = found.setdefault(
            line.indicator_code,
            PendingOutputPublic(
                indicator_code=line.indicator_code, reports=0, value=None, flagged=0
            ),
        )
        total.reports += line.pending_reports
        total.flagged += line.flagged_reports
        if line.pending_value is not None:
            total.value = (total.value or Decimal(0)) + line.pending_value
    return [found[code] for code in sorted(found)]


async def _contributions(
    uow: KpiUnitOfWork,
    goal_id: uuid.UUID,
    links: list[ContributionLink],
    outcome_list: list[OutcomePublic],
    years: tuple[int, int] | None,
) -> list[ContributionPublic]:
    by_id = {o.id: o for o in outcome_list}
    result = []
    async with uow:
        kinds = {
            c: i.kind
            for c, i in (await uow.catalogue.many({lk.output_indicator for lk in links})).items()
        }
        totals = {code: await uow.totals.node_totals(goal_id, APPROVED, code) for code in kinds}
    for lk in links:
        outcome = by_id[lk.outcome_id]
        base = {
            "output_indicator": lk.output_indicator,
            "outcome": outcome.code,
            "kind": lk.kind,
            "rationale": lk.rationale,
        }
        if lk.kind != LinkKind.QUANTITATIVE:
            result.append(ContributionPublic(**base))
            continue
        measured = {int(m.period): m.value for m in outcome.trend}
        rows = {
            t.period_key: (Measure(t.value, t.numerator, t.denominator), t.projects)
            for t in totals.get(lk.output_indicator, [])
            if t.projects or t.value
        }
        kind = kind_of(kinds[lk.output_indicator])
        per_year = {year: m.value for year, m in kind.by_year(rows).items()}
        found = outcomes.contribution(
            OutcomeKind(outcome.kind), measured, per_year, kinds[lk.output_indicator], years
        )
        result.append(
            ContributionPublic(
                **base,
                first_year=found.first_year,
                last_year=found.last_year,
                outputs=found.outputs,
                outcome_change=found.outcome_change,
                share=found.share,
                missing=found.missing,
            )
        )
    return result
