"""Whether everything a service accepted has been applied, from what the platform knows.

A service is caught up when its outbox is empty and each consumer group it names has
committed, on every partition of its topics, the produced mark (shared.messaging.progress):
read in that order, so an event accepted before the outbox was counted is, once caught
up, in the groups' committed transactions. The acceptance time of the newest applied
event comes from the groups' inboxes: event ids are time-ordered (shared.ids), so the
greatest id a group processed tells when it was accepted. ADR 0028.
"""

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.db import ProcessedEvent
from shared.ids import event_id_for, event_id_millis
from shared.messaging.outbox import outbox_backlog
from shared.messaging.progress import LagReader, PartitionLag

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FreshnessReport:
    as_of: datetime  # when the figures were read
    outbox_backlog: int
    lags: list[PartitionLag] | None  # None: the broker did not answer
    newest_applied_accepted_at: datetime | None

    @property
    def caught_up(self) -> bool:
        return self.outbox_backlog == 0 and self.lags is not None and not self.consumer_lag

    @property
    def consumer_lag(self) -> int:
        return sum(p.lag for p in self.lags or ())

    @property
    def events_waiting(self) -> int | None:
        """Accepted and not yet applied: the outbox backlog plus the groups' lag."""
        return None if self.lags is None else self.outbox_backlog + self.consumer_lag


class FreshnessProbe:
    """A service's freshness, read at most once per `max_age_s` (callers in between get the
    last reading; one reading at a time)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bootstrap_servers: str,
        groups: Mapping[str, Sequence[str]],
        max_age_s: float = 1.0,
        timeout_s: float = 3.0,
    ) -> None:
        self._sessions, self._groups, self._max_age_s = sessions, dict(groups), max_age_s
        self._reader = LagReader(bootstrap_servers, timeout_s)
        self._lock = asyncio.Lock()
        self._last: tuple[float, FreshnessReport] | None = None

    async def __call__(self) -> FreshnessReport:
        async with self._lock:
            if self._last is None or time.monotonic() - self._last[0] >= self._max_age_s:
                started = time.monotonic()
                self._last = (started, await self._read())
            return self._last[1]

    async def _read(self) -> FreshnessReport:
        as_of = datetime.now(UTC)
        backlog = await outbox_backlog(self._sessions)
        lags: list[PartitionLag] | None
        try:
            lags = await self._reader.lags(self._groups)
        except Exception as exc:
            log.warning("consumer lag unknown: %s", exc)
            lags = None
        newest = await newest_applied(self._sessions, list(self._groups))
        return FreshnessReport(as_of, backlog, lags, newest)

    async def close(self) -> None:
        await self._reader.close()


async def newest_applied(
    sessions: async_sessionmaker[AsyncSession], consumers: Sequence[str]
) -> datetime | None:
    """When the newest event these consumers applied was accepted (to the millisecond).

    One index seek per consumer on the inbox's key; ids of another kind (not time-ordered,
    or from a clock ahead) are left out by the upper bound and the version check."""
    bound = event_id_for(time.time_ns() // 1_000_000 + 60_000)
    newest: int | None = None
    async with sessions() as session:
        for consumer in consumers:
            found = await session.exec(
                select(func.max(ProcessedEvent.event_id)).where(
                    ProcessedEvent.consumer == consumer, col(ProcessedEvent.event_id) <= bound
                )
            )
            event_id = found.one()
            millis = event_id_millis(event_id) if event_id else None
            if millis is not None and (newest is None or millis > newest):
                newest = millis
    return None if newest is None else datetime.fromtimestamp(newest / 1000, UTC)
