"""Data access for the portal's own tables, staff users and their web sessions; no rules
here (the password check, active users only, expiry and the staff lock are in
`services.portal.services`)."""

from datetime import datetime

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.models import User, WebSession
from shared.db import delete_rows


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, user: User) -> None:
        self.session.add(user)

    async def by_username(self, username: str) -> User | None:
        return (await self.session.exec(select(User).where(User.username == username))).first()

    async def reread(self, user: User) -> None:
        """`user` as the database holds it now (after a lock, what another request wrote)."""
        await self.session.refresh(user)

    async def all(self) -> list[User]:
        return list((await self.session.exec(select(User).order_by(col(User.username)))).all())

    async def any(self) -> bool:
        return (await self.session.exec(select(User.id).limit(1))).first() is not None


class WebSessionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: WebSession) -> None:
        self.session.add(row)

    async def get(self, token_hash: str) -> WebSession | None:
        return await self.session.get(WebSession, token_hash)

    async def with_user(self, token_hash: str) -> tuple[WebSession, User] | None:
        """The session and its user, read in one statement."""
        found = (
            await self.session.exec(
                select(WebSession, User)
                .join(User, col(User.username) == col(WebSession.username))
                .where(WebSession.token_hash == token_hash)
            )
        ).first()
        return None if found is None else (found[0], found[1])

    async def remove(self, row: WebSession) -> None:
        await self.session.delete(row)

    async def remove_expired(self, now: datetime) -> None:
        await self.session.exec(delete(WebSession).where(col(WebSession.expires_at) < now))

    async def remove_of(self, username: str) -> None:
        """Every session of `username`, row by row (the audit trail sees each)."""
        await delete_rows(self.session, WebSession, col(WebSession.username) == username)
