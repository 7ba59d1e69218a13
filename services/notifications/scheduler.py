"""The clock-driven rules: reports due and overdue, and the coming EU cut-off.

Each tick looks at the replicas as they are and raises what holds today; occurrences
already raised are not raised again, so ticking often is harmless.
"""

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import date

from services.notifications import services
from services.notifications.domain import clock, rules
from services.notifications.models import ProjectReplica
from services.notifications.uow import NotificationsUnitOfWork


def _period_end(period: str) -> date:
    year, _, quarter = period.partition("-Q")
    return clock.quarter_end(int(year), int(quarter)) if quarter else date(int(year), 12, 31)


async def tick(uow: NotificationsUnitOfWork, today: date) -> int:
    """Raise what the clock makes true today; returns how many notifications were new."""
    async with uow:
        projects = await uow.replica.projects()
        found = await _report_reminders(uow, projects, today)
        found += await _cutoff_warnings(uow, projects, today)
        raised = await services.raise_notifications(uow, found)
        await uow.commit()
    return raised


async def _report_reminders(
    uow: NotificationsUnitOfWork, projects: Mapping[uuid.UUID, ProjectReplica], today: date
) -> list[rules.Occurrence]:
    """Quarterly reports of running projects due soon or overdue, for the rules switched on."""
    params = {
        rule: await services.rule_params(uow, rule)
        for rule in (rules.REPORT_DUE, rules.REPORT_OVERDUE)
    }
    switched_on = {rule for rule, p in params.items() if p is not None}
    if not switched_on:
        return []
    kpis = [
        clock.ReportingKpi(k.project_id, p.code, k.indicator_code, p.start_date, p.end_date)
        for k in await uow.replica.quarterly_kpis()
        if (p := projects.get(k.project_id)) is not None and p.status == "running"
    ]
    reminders = clock.due_reminders(
        kpis,
        await uow.replica.reported(),
        today,
        params[rules.REPORT_DUE] or rules.RULES[rules.REPORT_DUE].defaults,
        params[rules.REPORT_OVERDUE] or rules.RULES[rules.REPORT_OVERDUE].defaults,
    )
    return [o for o in reminders if o.rule in switched_on]


async def _cutoff_warnings(
    uow: NotificationsUnitOfWork, projects: Mapping[uuid.UUID, ProjectReplica], today: date
) -> list[rules.Occurrence]:
    """Projects with unapproved reports for periods before the coming EU cut-off."""
    params = await services.rule_params(uow, rules.EU_CUTOFF_APPROACHING)
    if params is None:
        return []
    coming = clock.next_cutoff(today)
    periods: dict[uuid.UUID, set[str]] = defaultdict(set)
    for project_id, period in await uow.replica.unapproved():
        if _period_end(period) < coming:
            periods[project_id].add(period)
    unapproved = {
        project_id: (
            projects[project_id].code if project_id in projects else str(project_id),
            sorted(found),
        )
        for project_id, found in periods.items()
    }
    return clock.cutoff_warnings(unapproved, today, params)
