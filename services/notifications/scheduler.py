"""The clock-driven rules: reports due and overdue, and the coming EU cut-off.

Each tick looks at the replicas as they are and raises what holds today; occurrences
already raised are not raised again, so ticking often is harmless.
"""

import uuid
from collections import defaultdict
from datetime import date

from services.notifications import services
from services.notifications.domain import rules
from services.notifications.uow import NotificationsUnitOfWork


def _period_end(period: str) -> date:
    year, _, quarter = period.partition("-Q")
    return rules.quarter_end(int(year), int(quarter)) if quarter else date(int(year), 12, 31)


async def tick(uow: NotificationsUnitOfWork, today: date) -> int:
    """Raise what the clock makes true today; returns how many notifications were new."""
    async with uow:
        projects = await uow.replica.projects()
        due = await services.rule_params(uow, rules.REPORT_DUE)
        overdue = await services.rule_params(uow, rules.REPORT_OVERDUE)
        found: list[rules.Occurrence] = []
        if due is not None or overdue is not None:
            kpis = [
                rules.ReportingKpi(k.project_id, p.code, k.indicator_code, p.start_date, p.end_date)
                for k in await uow.replica.quarterly_kpis()
                if (p := projects.get(k.project_id)) is not None and p.status == "running"
            ]
            defaults = {**rules.RULES[rules.REPORT_DUE].defaults}
            reminders = rules.due_reminders(
                kpis,
                await uow.replica.reported(),
                today,
                due or defaults,
                overdue or {**rules.RULES[rules.REPORT_OVERDUE].defaults},
            )
            found += [
                o
                for o in reminders
                if (o.rule == rules.REPORT_DUE and due)
                or (o.rule == rules.REPORT_OVERDUE and overdue)
            ]
        cutoff = await services.rule_params(uow, rules.EU_CUTOFF_APPROACHING)
        if cutoff is not None:
            coming = rules.next_cutoff(today)
            unapproved: dict[uuid.UUID, tuple[str, list[str]]] = {}
            periods: dict[uuid.UUID, set[str]] = defaultdict(set)
            for project_id, period in await uow.replica.unapproved():
                if _period_end(period) < coming:
                    periods[project_id].add(period)
            for project_id, found_periods in periods.items():
                code = projects[project_id].code if project_id in projects else str(project_id)
                unapproved[project_id] = (code, sorted(found_periods))
            found += rules.cutoff_warnings(unapproved, today, cutoff)
        raised = await services.raise_notifications(uow, found)
        await uow.commit()
    return raised
