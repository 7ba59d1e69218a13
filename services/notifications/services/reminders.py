"""Reminders a programme manager sends for missing reports, through the due and overdue
rules."""

from services.notifications.domain.rules import REPORT_DUE, REPORT_OVERDUE, Occurrence
from services.notifications.schemas import RemindersIn, RemindersPublic
from services.notifications.services.raising import raise_notifications
from services.notifications.uow import NotificationsUnitOfWork
from shared.auth import StaffUser
from shared.db import utcnow


async def send_reminders(
    uow: NotificationsUnitOfWork, data: RemindersIn, user: StaffUser
) -> RemindersPublic:
    """A programme manager chases missing reports: each becomes a notification of the due
    (or, past its date, the overdue) rule, to whoever that rule reaches for the project —
    its partners by default. Once a day per report: a second click the same day sends
    nothing new."""
    today = utcnow().date()
    async with uow:
        occurrences = []
        for item in data.reminders:
            project = await uow.replica.project(item.project_id)
            code = project.code if project is not None else str(item.project_id)
            what = f"{code} {item.indicator} {item.period}"
            late = item.due_on is not None and item.due_on < today
            due = f" ({item.due_on})" if item.due_on else ""
            occurrences.append(
                Occurrence(
                    REPORT_OVERDUE if late else REPORT_DUE,
                    f"reminder:{item.project_id}:{item.indicator}:{item.period}:{today}",
                    {"en": f"Reminder: report {what}", "nl": f"Herinnering: rapportage {what}"},
                    {
                        "en": f"Programme staff ({user.username}) ask you to report {what}{due}.",
                        "nl": f"De programmastaf ({user.username}) vraagt u de rapportage over "
                        f"{what} aan te leveren{due}.",
                    },
                    item.project_id,
                    {"period": item.period, "indicator": item.indicator, "reminder": True},
                )
            )
        sent = await raise_notifications(uow, occurrences)
        await uow.commit()
    return RemindersPublic(sent=sent, already=len(occurrences) - sent)
