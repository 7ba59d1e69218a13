"""Sealed transmissions: when a fund's EU report may be transmitted, which report versions
a transmission counted, and what changed since (ADR 30). Pure rules, no I/O."""

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from services.funding.domain.eu_report import is_cutoff
from shared.errors import ConflictError, InvalidInputError

_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?$")
RESTATES = "restates:"  # the flag the KPI service puts on a restating version


def label(fund: str, number: int) -> str:
    """How a transmission is named in flags and events: ``efro-3``."""
    return f"{fund}-{number}"


def period_end(period: str) -> date:
    """The last day of a reporting period (``2026-Q3`` or ``2026``)."""
    match = _PERIOD.match(period)
    if not match:
        raise ValueError(f"{period!r} is not a period")
    year, quarter = int(match.group("year")), match.group("quarter")
    if quarter is None or quarter == "4":
        return date(year, 12, 31)
    return date(year, 3 * int(quarter) + 1, 1) - timedelta(days=1)


def period_start(period: str) -> date:
    """The first day of a reporting period (``2026-Q3`` or ``2026``)."""
    match = _PERIOD.match(period)
    if not match:
        raise ValueError(f"{period!r} is not a period")
    year, quarter = int(match.group("year")), match.group("quarter")
    return date(year, 3 * (int(quarter) - 1) + 1 if quarter else 1, 1)


class Versioned(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def effective_from(self) -> date: ...


D = TypeVar("D", bound=Versioned)


def in_force(definitions: Sequence[D], day: date) -> D | None:
    """The definition in force on `day`: the latest version in force from then or before
    (the first one for days before any; none when none was announced)."""
    found = [d for d in definitions if d.effective_from <= day] or list(definitions[:1])
    return max(found, key=lambda d: d.version) if found else None


def definitions_used(
    definitions: Sequence[D], periods: Iterable[str], otherwise: date
) -> list[tuple[D, str | None, str | None]]:
    """The definitions a transmission's figures of one indicator counted under (ADR 32: a
    report counts under the definition in force for its period), each with the first and
    last of those periods; with no period, the one in force on `otherwise` (the period end
    the figures run to)."""
    spans: dict[int, tuple[D, str, str]] = {}
    for period in sorted(set(periods), key=lambda p: (period_start(p), period_end(p))):
        found = in_force(definitions, period_start(period))
        if found is None:
            continue
        first = spans[found.version][1] if found.version in spans else period
        spans[found.version] = (found, first, period)
    if spans:
        return [spans[v] for v in sorted(spans)]
    fallback = in_force(definitions, otherwise)
    return [(fallback, None, None)] if fallback is not None else []


class CountedUnder(Protocol):
    """A definition one indicator's figures counted under, with the periods counted under
    it (a transmission's definition line), as the rule below reads it."""

    @property
    def indicator_code(self) -> str: ...

    @property
    def change(self) -> str | None: ...

    @property
    def unit(self) -> str | None: ...

    @property
    def effective_from(self) -> date | None: ...

    @property
    def first_period(self) -> str | None: ...

    @property
    def last_period(self) -> str | None: ...


@dataclass(frozen=True)
class TotalAcross:
    """One indicator whose counted reports lie on both sides of a change that does not add
    up: no total may be given for it."""

    indicator_code: str
    change: str | None
    effective_from: date | None
    note: str  # the indicator, the change, its date and the periods on either side


def totals_across_breaks(lines: Iterable[CountedUnder]) -> list[TotalAcross]:
    """The indicators whose figure would add up reports counted under definitions that do
    not add up (ADR 32): across a break in series (old and new count different things; the
    KPI service gives no total across one either), or across a change of unit (the EU
    report adds the values as they were reported and converts nothing). `lines`: per
    indicator, oldest definition first. The first such change of each indicator."""
    before: dict[str, tuple[str, str, str | None]] = {}  # per indicator: first, last, unit
    found: dict[str, TotalAcross] = {}
    for line in lines:
        if line.first_period is None or line.last_period is None:
            continue
        code = line.indicator_code
        if (
            code in before
            and code not in found
            and (line.change == "break" or line.unit != before[code][2])
        ):
            first, last, unit = before[code]
            what = (
                "a break in series"
                if line.change == "break"
                else f"its unit changed from {unit} to {line.unit}"
            )
            found[code] = TotalAcross(
                code,
                line.change,
                line.effective_from,
                f"{code}'s definition has {what} on {line.effective_from}: the report would "
                f"add up {first}..{last}, counted under the definition before it, and "
                f"{line.first_period}..{line.last_period}, counted under the new one; no "
                f"total is given across {'a break' if line.change == 'break' else 'units'}",
            )
        first = before[code][0] if code in before else line.first_period
        before[code] = (first, line.last_period, line.unit)
    return list(found.values())


def refuse_totals_across_breaks(lines: Iterable[CountedUnder]) -> None:
    """What is sealed is never a total across a break or a unit change: 409 naming the
    (first) indicator, the change and the periods either side (`totals_across_breaks`)."""
    for across in totals_across_breaks(lines):
        raise ConflictError(
            across.note,
            indicator=across.indicator_code,
            change=across.change,
            effective_from=str(across.effective_from),
        )


@dataclass(frozen=True)
class Sealed:
    """An earlier transmission of the same programme and fund, as the rules need it."""

    number: int
    as_of: date
    correction: int


@dataclass(frozen=True)
class Numbering:
    number: int
    correction: int
    corrects: int | None


def numbering(
    existing: Iterable[Sealed], as_of: date, reason: str | None, corrects: int | None
) -> Numbering:
    """The number of a new transmission at `as_of`, or why it may not be made.

    A date other than 31 January or 31 July needs a reason; a cut-off transmitted once can
    only be transmitted again as a correction naming the latest transmission of it (409
    otherwise), with a reason."""
    earlier = list(existing)
    if not is_cutoff(as_of) and not (reason or "").strip():
        raise InvalidInputError.single(
            ("body", "reason"), f"{as_of} is not a cut-off (31 January, 31 July): say why"
        )
    same = sorted((s for s in earlier if s.as_of == as_of), key=lambda s: s.correction)
    number = max((s.number for s in earlier), default=0) + 1
    if not same:
        if corrects is not None:
            raise ConflictError(
                f"cut-off {as_of} was not transmitted yet: nothing to correct",
                corrects=corrects,
            )
        return Numbering(number, 0, None)
    latest = same[-1]
    if corrects is None:
        raise ConflictError(
            f"cut-off {as_of} was transmitted as number {latest.number}: transmit a "
            f"correction that refers to it (corrects: {latest.number})",
            transmitted=latest.number,
        )
    if corrects != latest.number:
        raise ConflictError(
            f"the latest transmission of cut-off {as_of} is number {latest.number}: "
            "a correction refers to it",
            transmitted=latest.number,
        )
    if not (reason or "").strip():
        raise InvalidInputError.single(("body", "reason"), "say why the cut-off is corrected")
    return Numbering(number, latest.correction + 1, corrects)


# --- report versions ------------------------------------------------------------------------

Cell = tuple[uuid.UUID, str, str, str]  # project, indicator, period, dimension key


def counted(versions: Iterable[Any]) -> dict[Cell, Any]:
    """Per cell, the version the approved figures count: its latest approved one."""
    out: dict[Cell, Any] = {}
    for v in versions:
        if v.state != "approved":
            continue
        cell = (v.project_id, v.indicator_code, v.period, v.dimension_key)
        if cell not in out or v.version > out[cell].version:
            out[cell] = v
    return out


def restated_labels(flags: Iterable[str]) -> list[str]:
    return [f[len(RESTATES) :] for f in flags if f.startswith(RESTATES)]


def change_kind(new_version: bool, version: int, state: str, had_approved: bool) -> str:
    """How a version seen after a transmission changed its figures."""
    if not new_version:
        return {"approved": "approval", "returned": "return"}.get(state, "resubmission")
    if version == 1:
        return "late_report"
    return "revision_after_approval" if had_approved else "revision"


def figure_changes(
    scope: str,
    code: str,
    sealed: Mapping[str, Any] | None,
    today: Mapping[str, Any] | None,
    fields: Iterable[str],
) -> list[dict[str, Any]]:
    """The fields of one line whose value differs between the transmission and today (a
    line present on one side only differs in every field)."""
    out = []
    for name in fields:
        before = _number(sealed.get(name)) if sealed else None
        after = _number(today.get(name)) if today else None
        if before != after:
            out.append(
                {"scope": scope, "code": code, "field": name, "transmitted": before, "today": after}
            )
    return out


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value)
        except ArithmeticError:
            return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    return value
