"""Catalogue use cases: indicators, their definitions and thresholds, project KPIs."""

import uuid
from datetime import UTC, date
from typing import Any

from services.kpi.access import Principal
from services.kpi.domain import definitions
from services.kpi.domain.errors import (
    DuplicateError,
    InvalidKpiInputError,
    UnknownProjectError,
    UnknownRecordError,
)
from services.kpi.domain.indicators import IndicatorKind
from services.kpi.domain.kinds import kind_of
from services.kpi.domain.periods import Frequency, Period, PeriodError
from services.kpi.models import (
    Indicator,
    IndicatorDefinition,
    ProjectKpi,
)
from services.kpi.reference import indicator_of
from services.kpi.schemas import (
    DefinitionIn,
    DefinitionPublic,
    IndicatorIn,
    IndicatorPublic,
    IndicatorThresholdsIn,
    ProjectKpiIn,
    ProjectKpiPublic,
)
from services.kpi.services.common import check_readable, commit
from services.kpi.uow import KpiUnitOfWork
from shared.auth import StaffUser
from shared.contracts import kpi as events
from shared.db import utcnow
from shared.errors import (
    FieldProblem,
)

FIRST_DAY = date(1900, 1, 1)  # the first a definition can be in force from (periods: 1900-)


async def list_indicators(uow: KpiUnitOfWork) -> list[IndicatorPublic]:
    async with uow:
        return [
            IndicatorPublic.model_validate(i, from_attributes=True)
            for i in await uow.catalogue.all()
        ]


async def define_indicator(uow: KpiUnitOfWork, data: IndicatorIn) -> IndicatorPublic:
    async with uow:
        if await uow.catalogue.get(data.code):
            raise DuplicateError("indicator", "code", data.code)
        row = Indicator(**data.model_dump())
        uow.catalogue.add(row)
        uow.publish(announcement(row, []))
        await commit(uow)
        return IndicatorPublic.model_validate(row, from_attributes=True)


async def set_indicator_thresholds(
    uow: KpiUnitOfWork, code: str, data: IndicatorThresholdsIn
) -> IndicatorPublic:
    """An indicator's own plausibility thresholds (null: the programme's setting again);
    new reports are flagged by them, reports already in keep the flags they came with."""
    async with uow:
        row = await uow.catalogue.get(code)
        if row is None:
            raise UnknownRecordError("indicator", code)
        row.plausible_target_percent = data.plausible_target_percent
        row.plausible_jump_factor = data.plausible_jump_factor
        uow.catalogue.add(row)
        await commit(uow)
        return IndicatorPublic.model_validate(row, from_attributes=True)


def definition_of(row: IndicatorDefinition) -> definitions.Definition:
    return definitions.Definition(
        row.version,
        row.effective_from,
        row.unit,
        IndicatorKind(row.kind),
        row.change,
        row.conversion_factor,
        row.defined_at if row.defined_at.tzinfo else row.defined_at.replace(tzinfo=UTC),
    )


def _first_definition(row: Indicator) -> IndicatorDefinition:
    """The definition an indicator had before its first recorded change: version 1, in
    force for every period before the next."""
    return IndicatorDefinition(
        code=row.code,
        version=1,
        effective_from=FIRST_DAY,
        name_en=row.name_en,
        name_nl=row.name_nl,
        unit=row.unit,
        kind=row.kind,
        eu_code=row.eu_code,
        methodology=row.methodology,
        change=definitions.FIRST,
        defined_by="catalogue",
    )


def announcement(row: Indicator, history: list[IndicatorDefinition]) -> events.IndicatorDefined:
    """The indicator's definitions as announced (every version, oldest first): what the
    funding service's transmissions name (ADR 30, 32). Until a change is recorded the
    catalogue row is version 1, with no time of definition to tell."""
    recorded = bool(history)
    return events.IndicatorDefined(
        indicator_code=row.code,
        counted_once=row.counted_once,
        definitions=[
            events.DefinitionVersion(
                version=d.version,
                effective_from=d.effective_from,
                name_en=d.name_en,
                name_nl=d.name_nl,
                unit=d.unit,
                kind=d.kind,
                eu_code=d.eu_code,
                methodology=d.methodology,
                change=d.change,
                conversion_factor=d.conversion_factor,
                reason=d.reason,
                defined_by=d.defined_by,
                defined_at=d.defined_at if recorded else None,
            )
            for d in history or [_first_definition(row)]
        ],
    )


async def announce_catalogue(uow: KpiUnitOfWork) -> int:
    """Announce every indicator's definitions (in the caller's transaction): run with each
    migration, so consumers that came later, or missed a change, learn the catalogue."""
    redefined = await uow.catalogue.redefined()
    found = await uow.catalogue.all()
    for row in found:
        history = await uow.catalogue.definitions(row.code) if row.code in redefined else []
        uow.publish(announcement(row, history))
    return len(found)


async def indicator_definitions(uow: KpiUnitOfWork, code: str) -> list[DefinitionPublic]:
    """The indicator's definitions, oldest first (one, version 1, until a change)."""
    async with uow:
        row = await uow.catalogue.get(code)
        if row is None:
            raise UnknownRecordError("indicator", code)
        found = await uow.catalogue.definitions(code) or [_first_definition(row)]
        return [DefinitionPublic.model_validate(d, from_attributes=True) for d in found]


async def redefine_indicator(
    uow: KpiUnitOfWork, code: str, data: DefinitionIn, user: StaffUser
) -> DefinitionPublic:
    """Record a new definition (domain.definitions): the catalogue keeps the latest, the
    periods before it count under the earlier ones."""
    async with uow:
        row = await uow.catalogue.get(code)
        if row is None:
            raise UnknownRecordError("indicator", code)
        history = await uow.catalogue.definitions(code)
        if not history:
            history = [_first_definition(row)]
            uow.catalogue.add_definition(history[0])
        current = definition_of(history[-1])
        change = definitions.Change(
            data.effective_from,
            data.unit or row.unit,
            data.kind or IndicatorKind(row.kind),
            data.conversion_factor,
            data.break_in_series,
        )
        has_data = await uow.reports.any_for_indicator(code)
        if problems := definitions.change_problems(current, change, has_data):
            raise InvalidKpiInputError(problems)
        fields: dict[str, Any] = {
            "name_en": data.name_en or row.name_en,
            "name_nl": data.name_nl or row.name_nl,
            "unit": change.unit,
            "kind": change.kind.value,
            "eu_code": data.eu_code or row.eu_code,
            "methodology": data.methodology or row.methodology,
        }
        new = IndicatorDefinition(
            code=code,
            version=current.version + 1,
            effective_from=data.effective_from,
            change=definitions.kind_of_change(current, change),
            conversion_factor=data.conversion_factor,
            reason=data.reason,
            defined_by=user.username,
            **fields,
        )
        uow.catalogue.add_definition(new)
        for name, value in fields.items():
            setattr(row, name, value)
        row.definition_version = new.version
        uow.catalogue.add(row)
        uow.publish(announcement(row, [*history, new]))
        await commit(uow)
        return DefinitionPublic.model_validate(new, from_attributes=True)


def _kpi_public(kpi: ProjectKpi) -> ProjectKpiPublic:
    data = kpi.model_dump()
    data["period_targets"] = {k: v for k, v in kpi.period_targets.items()}
    return ProjectKpiPublic.model_validate(data)


async def set_project_kpi(
    uow: KpiUnitOfWork,
    project_id: uuid.UUID,
    indicator_code: str,
    data: ProjectKpiIn,
    user: StaffUser,
) -> ProjectKpiPublic:
    async with uow:
        project = await uow.replica.project(project_id)
        if project is None:
            raise UnknownProjectError(project_id)
        row = await uow.catalogue.get(indicator_code)
        if row is None:
            raise UnknownRecordError("indicator", indicator_code)
        indicator = indicator_of(row)
        _check_targets(indicator, data)
        kpi = await uow.kpis.get(project_id, indicator_code) or ProjectKpi(
            project_id=project_id,
            indicator_code=indicator_code,
            frequency=data.frequency,
            updated_by=user.username,
        )
        for field, value in data.model_dump(exclude={"period_targets"}).items():
            setattr(kpi, field, value)
        kpi.period_targets = {k: str(v) for k, v in data.period_targets.items()}
        kpi.updated_by, kpi.updated_at = user.username, utcnow()
        uow.kpis.add(kpi)
        uow.publish(
            events.TargetSet(
                project_id=project_id,
                indicator_code=indicator_code,
                indicator_kind=indicator.kind,
                direction=indicator.direction,
                frequency=data.frequency,
                dimensions=tuple(data.dimensions),
                baseline_value=data.baseline_value,
                baseline_year=data.baseline_year,
                target_value=data.target_value,
                target_date=data.target_date,
                period_targets=dict(data.period_targets),
                actor=user.username,
            )
        )
        await commit(uow)
        return _kpi_public(kpi)


def _check_targets(indicator: Any, data: ProjectKpiIn) -> None:
    problems: list[FieldProblem] = []
    kind = kind_of(indicator.kind)
    for field in ("baseline_value", "target_value"):
        value = getattr(data, field)
        if value is not None:
            problems += kind.target_problems(indicator, ("body", field), value)
    if (data.target_value is None) != (data.target_date is None):
        problems.append(
            FieldProblem(("body", "target_date"), "an end target needs both a value and a date")
        )
    for text in data.period_targets:
        try:
            period = Period.parse(text)
        except PeriodError as exc:
            problems.append(FieldProblem(("body", "period_targets", text), str(exc)))
            continue
        if period.frequency != Frequency(data.frequency):
            problems.append(
                FieldProblem(("body", "period_targets", text), f"periods of a {data.frequency} KPI")
            )
    if problems:
        raise InvalidKpiInputError(problems)


async def project_kpis(
    uow: KpiUnitOfWork, principal: Principal, project: uuid.UUID | str
) -> list[ProjectKpiPublic]:
    async with uow:
        project_id = await check_readable(uow, principal, project)
        return [_kpi_public(k) for k in await uow.kpis.of_project(project_id)]
