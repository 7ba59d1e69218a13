"""The inbox of a batch as big as a rebuild's (up to 100,000 events): which events were
applied is known whatever the batch's size, on SQLite and on PostgreSQL (whose driver takes
at most 32,767 parameters a statement)."""

from services.kpi.main import create_app
from services.kpi.uow import KpiUnitOfWork
from tests.integration.kpi.harness import kpi_settings

EVENTS = 40_000


async def test_a_batch_larger_than_a_statement_can_list_is_checked_against_the_inbox(
    kpi_db: str,
) -> None:
    runtime = create_app(kpi_settings(kpi_db)).state.runtime
    applied = [f"event-{n:06d}" for n in range(EVENTS)]
    try:
        async with KpiUnitOfWork(runtime.sessions, source="test") as uow:
            uow.mark_many_processed("rebuild.aggregates", applied)
            await uow.commit()
        asked = [*applied[::2], *(f"new-{n}" for n in range(EVENTS // 2))]
        async with KpiUnitOfWork(runtime.sessions, source="test", write=False) as uow:
            seen = await uow.processed_among("rebuild.aggregates", asked)
            other = await uow.processed_among("another-consumer", asked)
    finally:
        await runtime.close()
    assert seen == set(applied[::2])
    assert other == set()
