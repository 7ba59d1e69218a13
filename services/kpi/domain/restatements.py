"""Late data (ADR 30): a report for a period an EU transmission already covered restates it.

A transmission covers the projects and indicators it counted, for periods ending on or
before its cut-off; of a cut-off transmitted more than once (corrections) the latest
counts. What a restating report needs (a reason) and whether finance is told are the
policy each transmission was sealed with. Pure rules, no I/O.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.kpi.domain.errors import InvalidKpiInputError

FLAG = "restates:"  # a version's flag: "restates:efro-3" restates EFRO transmission 3


@dataclass(frozen=True)
class Transmitted:
    label: str  # efro-3
    programme_id: uuid.UUID
    fund: str
    as_of: date
    correction: int
    projects: frozenset[uuid.UUID]
    indicators: frozenset[str]
    reason_required: bool
    notify: bool


def restated(
    transmitted: Iterable[Transmitted],
    project_id: uuid.UUID,
    indicator: str,
    period_end: date,
) -> list[Transmitted]:
    """The transmissions a new version of this cell restates, in cut-off order."""
    latest: dict[tuple[uuid.UUID, str, date], Transmitted] = {}
    for t in transmitted:
        if period_end > t.as_of or project_id not in t.projects or indicator not in t.indicators:
            continue
        key = (t.programme_id, t.fund, t.as_of)
        if key not in latest or t.correction > latest[key].correction:
            latest[key] = t
    return sorted(latest.values(), key=lambda t: (t.as_of, t.fund))


def check_reason(restating: list[Transmitted], reason: str | None) -> None:
    """422 at `reason` when a transmission restated asks for one and none is given."""
    if (reason or "").strip() or not any(t.reason_required for t in restating):
        return
    labels = ", ".join(t.label for t in restating)
    raise InvalidKpiInputError.single(
        ("body", "reason"),
        f"this period was transmitted to the EU ({labels}): say why it is reported now",
    )


def flags(restating: Iterable[Transmitted]) -> list[str]:
    return [FLAG + t.label for t in restating]
