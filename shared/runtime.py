"""What a running service holds: its settings, database engine and token verifier.

Built once by a service's composition root and handed to both the API and the
worker, so neither builds anything at import time and tests can build their own.
"""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.auth import TokenService
from shared.config import ServiceSettings
from shared.db import create_engine, session_factory


@dataclass
class ServiceRuntime:
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    tokens: TokenService

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> "ServiceRuntime":
        engine = create_engine(settings.database_url, pool_size=settings.db_pool_size)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            tokens=TokenService(settings.jwt_secret.get_secret_value(), settings.jwt_issuer),
        )

    async def close(self) -> None:
        await self.engine.dispose()
