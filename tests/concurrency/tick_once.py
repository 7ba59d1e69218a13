"""`python -m tests.concurrency.tick_once URL DAY START_AT`: one notification worker's clock
tick on the database at URL, as a process of its own, begun at START_AT (seconds since the
epoch) so that several such processes tick at the same moment. Prints what it raised."""

import asyncio
import json
import sys
import time
from datetime import date

from services.notifications import scheduler
from services.notifications.uow import NotificationsUnitOfWork
from shared.db import create_engine, ping, session_factory


async def tick_at(url: str, day: date, start_at: float) -> int:
    engine = create_engine(url)
    try:
        await ping(engine)  # connected before the start, so the ticks start together
        await asyncio.sleep(max(0.0, start_at - time.time()))
        return await scheduler.tick(
            NotificationsUnitOfWork(session_factory(engine), source="notifications"), day
        )
    finally:
        await engine.dispose()


if __name__ == "__main__":
    url, day, start_at = sys.argv[1], date.fromisoformat(sys.argv[2]), float(sys.argv[3])
    print(json.dumps({"raised": asyncio.run(tick_at(url, day, start_at))}))
