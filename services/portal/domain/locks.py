"""The review page's period locks: which programme's locks are shown, what it has locked and
which of its projects may still report a period, and the quarters the lock form offers.

The form offers only the programme's own quarters (from the registry's `period_start` and
`period_end`), so a period outside its years cannot be chosen; the KPI service refuses one
that is forged all the same."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from services.portal.domain.views import quarters


@dataclass(frozen=True)
class LockedPeriod:
    period: str
    locked_by: str  # a user name, as the KPI service recorded it
    locked_at: str  # UTC, as the KPI service answers; the page shows it in Amsterdam time


@dataclass(frozen=True)
class Excepted:
    project: str  # the project's name
    period: str
    reason: str
    granted_by: str
    granted_at: str


@dataclass(frozen=True)
class Locks:
    """What the lock forms and the list under them show for one programme."""

    programme_id: str
    programme: str  # its name
    quarters: list[str]  # every quarter of the programme's years, in time order
    open: list[str]  # those quarters not locked yet: what the lock form offers
    locked: list[LockedPeriod]
    exceptions: list[Excepted]
    projects: list[Mapping[str, Any]]  # the programme's projects: the exception form offers them
    known: bool  # False when the KPI service could not say what is locked


def chosen_programme(
    programmes: Sequence[Mapping[str, Any]], wanted: str, today: date
) -> Mapping[str, Any] | None:
    """The programme asked for; else the one running this year (the one a manager locks
    quarters of); else the latest to start. None when there is none."""
    for programme in programmes:
        if str(programme["id"]) == wanted:
            return programme
    running = [p for p in programmes if p["period_start"] <= today.year <= p["period_end"]]
    latest = sorted(running or programmes, key=lambda p: (p["period_start"], p["name"]))
    return latest[-1] if latest else None


def locks_of(
    programme: Mapping[str, Any],
    answer: Mapping[str, Any] | None,
    projects: Sequence[Mapping[str, Any]],
) -> Locks:
    """The programme's locks and exceptions by name, newest last (as they were set), and
    the quarters still open; a locked year closes its four quarters."""
    every = quarters(int(programme["period_start"]), int(programme["period_end"]))
    locked = [
        LockedPeriod(period=str(x["period"]), locked_by=x["locked_by"], locked_at=x["locked_at"])
        for x in (answer or {}).get("locks", [])
    ]
    closed = {x.period for x in locked}
    exceptions = [
        Excepted(
            project=str(x["project_name"]),
            period=str(x["period"]),
            reason=str(x["reason"]),
            granted_by=x["granted_by"],
            granted_at=x["granted_at"],
        )
        for x in (answer or {}).get("exceptions", [])
    ]
    return Locks(
        programme_id=str(programme["id"]),
        programme=str(programme["name"]),
        quarters=every,
        open=[q for q in every if q not in closed and q[:4] not in closed],
        locked=locked,
        exceptions=exceptions,
        projects=sorted(
            (p for p in projects if str(p.get("programme_id")) == str(programme["id"])),
            key=lambda p: str(p["name"]),
        ),
        known=answer is not None,
    )
