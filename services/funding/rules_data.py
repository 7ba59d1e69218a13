"""The shipped co-financing ceilings (reference/cofinancing_ceilings.csv) as editable rules."""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

from services.funding.models import CeilingRuleRow
from services.funding.uow import FundingUnitOfWork
from shared.db import create_engine, session_factory

CEILINGS = Path(__file__).resolve().parents[2] / "reference" / "cofinancing_ceilings.csv"


def shipped_ceilings() -> list[CeilingRuleRow]:
    with CEILINGS.open(encoding="utf-8", newline="") as f:
        return [
            CeilingRuleRow(
                fund=row["fund"],
                region_category=row["region_category"],
                rate=Decimal(row["rate"]),
                basis=row["basis"],
                effective_from=date.fromisoformat(row["effective_from"]),
                source=row["source"],
                created_by="shipped",
            )
            for row in csv.DictReader(f)
        ]


async def load_ceilings(database_url: str) -> int:
    """Add the shipped rules that are missing; rules staff changed or added stay as they are."""
    engine = create_engine(database_url)
    added = 0
    try:
        async with FundingUnitOfWork(session_factory(engine), source="funding") as uow:
            for rule in shipped_ceilings():
                if await uow.rules.ceiling(rule.fund, rule.region_category, rule.effective_from):
                    continue
                uow.rules.add(rule)
                added += 1
            await uow.commit()
    finally:
        await engine.dispose()
    return added
