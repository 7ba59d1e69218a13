"""The indicator catalogue's shipped content: the EU common indicators and the demo's own.

EU output indicators (RCO) are outputs, result indicators (RCR) outcomes; all are
reported as flows (what was achieved in the period). Units that are measured rather
than counted allow decimals.
"""

import csv
from collections.abc import Iterator
from pathlib import Path

from services.kpi.domain.distinct import CountedOnce
from services.kpi.domain.indicators import Direction, Indicator, IndicatorKind, Level
from services.kpi.services.indicators import announce_catalogue
from services.kpi.uow import KpiUnitOfWork
from shared.db import create_engine, session_factory

REFERENCE = Path(__file__).resolve().parents[2] / "reference"
EU_CSV = REFERENCE / "eu_common_indicators.csv"

_MEASURED_UNITS = (
    "km",
    "hectare",
    "euro",
    "fte",
    "mw",
    "tonne",
    "square",
    "year",
    "man-days",
    "population",
)


def _decimals_allowed(unit: str) -> bool:
    lowered = unit.lower()
    return any(word in lowered for word in _MEASURED_UNITS)


def eu_common_indicators() -> Iterator[tuple[Indicator, str]]:
    """Each EU common indicator with its source reference."""
    with EU_CSV.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            yield (
                Indicator(
                    code=row["code"],
                    name_en=row["name"],
                    name_nl=None,
                    unit=row["unit"],
                    level=Level.OUTPUT if row["kind"] == "output" else Level.OUTCOME,
                    kind=IndicatorKind.FLOW,
                    direction=Direction.HIGHER_IS_BETTER,
                    decimals_allowed=_decimals_allowed(row["unit"]),
                    eu_code=row["code"],
                    # an enterprise supported by several operations is one enterprise
                    counted_once=CountedOnce.ENTERPRISE
                    if row["unit"] == "enterprises" and row["kind"] == "output"
                    else None,
                ),
                row["source"],
            )


def _own(
    code: str,
    en: str,
    nl: str,
    unit: str,
    level: Level,
    kind: IndicatorKind,
    eu: str | None = None,
    **kw: bool,
) -> Indicator:
    return Indicator(code, en, nl, unit, level, kind, eu_code=eu, **kw)  # type: ignore[arg-type]


OUT, OUTCOME, ACT = Level.OUTPUT, Level.OUTCOME, Level.ACTIVITY
FLOW, STOCK, RATIO, TEXT = (
    IndicatorKind.FLOW,
    IndicatorKind.STOCK,
    IndicatorKind.RATIO,
    IndicatorKind.QUALITATIVE,
)

# The KPIs the Drenthe case projects report (reference/drenthe_cases.yaml).
PROGRAMME_INDICATORS: tuple[Indicator, ...] = (
    _own(
        "ENTREPRENEURS_REACHED",
        "Entrepreneurs reached",
        "Bereikte ondernemers",
        "entrepreneurs",
        OUT,
        FLOW,
    ),
    _own(
        "MEETINGS_ORGANISED",
        "Meetings organised",
        "Georganiseerde bijeenkomsten",
        "meetings",
        ACT,
        FLOW,
    ),
    _own(
        "ONE_TO_ONE_CONVERSATIONS",
        "One-to-one conversations",
        "Een-op-eengesprekken",
        "conversations",
        ACT,
        FLOW,
    ),
    _own(
        "PARTNERSHIPS",
        "Partnerships with Drenthe companies",
        "Samenwerkingen met Drentse bedrijven",
        "partnerships",
        OUT,
        FLOW,
    ),
    _own(
        "PEOPLE_PLACED",
        "People placed in a vacancy",
        "Mensen geplaatst in een vacature",
        "persons",
        OUT,
        FLOW,
    ),
    _own(
        "PEOPLE_SPOKEN_TO",
        "Interested people spoken to",
        "Geïnteresseerden gesproken",
        "persons",
        ACT,
        FLOW,
    ),
    _own(
        "JOB_FAIR_VISITORS",
        "Visitors at job fairs and information events",
        "Bezoekers banenmarkten",
        "persons",
        ACT,
        FLOW,
    ),
    _own(
        "OPEN_INNOVATION_PROJECTS",
        "Open innovation projects",
        "Open-innovatieprojecten",
        "projects",
        OUT,
        FLOW,
    ),
    _own(
        "EMPLOYMENT_GROWTH_FTE",
        "Employment growth",
        "Werkgelegenheidsgroei",
        "FTE",
        OUTCOME,
        STOCK,
        "RCR01",
        decimals_allowed=True,
        negative_allowed=True,
    ),
    _own(
        "COMPANIES_CONNECTED",
        "Companies connected",
        "Aangesloten bedrijven",
        "companies",
        OUT,
        STOCK,
    ),
    _own(
        "NEW_COMPANIES_STARTED",
        "New companies started",
        "Nieuw gestarte bedrijven",
        "companies",
        OUTCOME,
        FLOW,
    ),
    _own(
        "COMPANIES_SETTLED",
        "Companies settled in the region",
        "Gevestigde bedrijven",
        "companies",
        OUTCOME,
        FLOW,
    ),
    _own(
        "COMPANIES_IN_CONTACT",
        "Companies in acquisition contact",
        "Bedrijven in acquisitiecontact",
        "companies",
        ACT,
        STOCK,
    ),
    _own(
        "EFRO_PROJECTS_ATTRACTED",
        "Large EFRO projects attracted",
        "Aangetrokken grote EFRO-projecten",
        "projects",
        OUT,
        FLOW,
    ),
    _own("PARTIES_SIGNED_UP", "Parties signed up", "Aangesloten partijen", "parties", OUT, STOCK),
    _own(
        "PLACEMENT_RATE",
        "Share of candidates placed",
        "Aandeel geplaatste kandidaten",
        "%",
        OUTCOME,
        RATIO,
    ),
    _own(
        "PROGRESS_NARRATIVE",
        "Look back and look ahead",
        "Terugblik en vooruitblik",
        "text",
        ACT,
        TEXT,
    ),
)


async def load_catalogue(database_url: str) -> int:
    """Upsert the shipped indicators; staff-defined ones, and shipped ones staff have
    given a new definition since (domain.definitions), are left alone. Every indicator's
    definitions are then announced (kpi.indicator.defined.v1), as they stand."""

    rows = [
        {**_row(indicator), "source": source} for indicator, source in eu_common_indicators()
    ] + [
        {**_row(indicator), "source": "reference/drenthe_cases.yaml"}
        for indicator in PROGRAMME_INDICATORS
    ]
    engine = create_engine(database_url)
    try:
        async with KpiUnitOfWork(session_factory(engine), source="kpi") as uow:
            redefined = await uow.catalogue.redefined()
            rows = [r for r in rows if r["code"] not in redefined]
            await uow.catalogue.put(rows)
            await announce_catalogue(uow)
            await uow.commit()
    finally:
        await engine.dispose()
    return len(rows)


def _row(indicator: Indicator) -> dict[str, object]:
    return {
        "code": indicator.code,
        "name_en": indicator.name_en,
        "name_nl": indicator.name_nl,
        "unit": indicator.unit,
        "level": indicator.level.value,
        "kind": indicator.kind.value,
        "direction": indicator.direction.value,
        "decimals_allowed": indicator.decimals_allowed,
        "negative_allowed": indicator.negative_allowed,
        "eu_code": indicator.eu_code,
        "counted_once": indicator.counted_once.value if indicator.counted_once else None,
    }
