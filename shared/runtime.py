"""What a running service holds: its settings, database engine and token verifier.

Built once by a service's composition root and handed to both the API and the
worker, so neither builds anything at import time and tests can build their own.
"""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.auth import TokenService
from shared.config import ServiceSettings
from shared.db import create_engine, session_factory
from shared.sqlite import WalCheckpointer, checkpointer_for


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    tokens: TokenService
    checkpointer: WalCheckpointer | None = None  # SQLite only: see shared.sqlite

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "ServiceRuntime":
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            tokens=TokenService(settings.jwt_secret.get_secret_value(), settings.jwt_issuer),
            checkpointer=checkpointer_for(settings.database_url),
        )

    async def close(self) -> None:
        await self.engine.dispose()


# Collections every 50,000 allocations instead of Python's 700: see tune_garbage_collector.
THROUGHPUT_GC_THRESHOLD = (50_000, 20, 100)


def tune_garbage_collector() -> None:
    """Favour throughput in a service process, once it has started.

    Consumers and batch intake handle thousands of rows at a time; with Python's defaults
    the cycle collector ran every 700 allocations and its full collections walked every
    live object, which took a large share of the projection's time (the figures:
    bench/README.md, "Figures behind the decisions", ADR 16). What start-up built
    (modules, app, settings) lives as long as the process: `gc.freeze` takes it out of
    every later collection. Memory held by cycles is
    freed a little later; reference counting frees everything else at once, as before.
    """
    gc.freeze()
    gc.set_threshold(*THROUGHPUT_GC_THRESHOLD)


@contextmanager
def collecting_for_throughput() -> Iterator[None]:
    """The same, for the length of a batch job in a process that is not ours alone."""
    before = gc.get_threshold()
    gc.set_threshold(*THROUGHPUT_GC_THRESHOLD)
    try:
        yield
    finally:
        gc.set_threshold(*before)
