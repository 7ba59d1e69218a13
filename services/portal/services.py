"""The portal's own use cases: sign-in and sessions, and users. Each page's data, gathered
from the services as the signed-in user, is in `services.portal.pages`."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.portal.models import User, WebSession
from services.portal.security import hash_password, new_token, token_hash, verify_password
from shared.db import advisory_locks, utcnow
from shared.sqlite import WRITE_INTENT

ROLES = ("viewer", "programme_manager", "finance_officer", "admin")


@dataclass(frozen=True)
class SignedIn:
    username: str
    roles: list[str]
    language: str
    csrf: str

    def has(self, *roles: str) -> bool:
        return "admin" in self.roles or any(r in self.roles for r in roles)


# --- users and sessions ---------------------------------------------------------------------

# Staff users change under this lock (ADR 24), and every writing request checks its session
# under it: a user switched off while a request of theirs is under way is switched off after
# it, and none of their requests starts working afterwards. On PostgreSQL the portal's writing
# requests then follow one another, as they do on SQLite (its one write lock); staff clicks
# are few.
STAFF_LOCK = "portal.staff"


def _writes(session: AsyncSession) -> bool:
    """Whether `session` is a writing request's (bound to `shared.db.writing(engine)`)."""
    bind = session.bind
    return isinstance(bind, AsyncEngine) and bool(
        bind.get_execution_options().get(WRITE_INTENT, False)
    )


async def _lock_staff(session: AsyncSession) -> None:
    """Hold STAFF_LOCK to the end of the transaction; on SQLite a writing session holds the
    write lock from its first read already."""
    if session.get_bind().dialect.name != "sqlite":
        await advisory_locks(session, [STAFF_LOCK], shared=False)


async def sign_in(
    session: AsyncSession, username: str, password: str, minutes: int
) -> tuple[str, SignedIn] | None:
    user = (await session.exec(select(User).where(User.username == username))).first()
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    await _lock_staff(session)  # not switched off since the password was checked
    await session.refresh(user)
    if not user.active:
        return None
    await session.exec(delete(WebSession).where(col(WebSession.expires_at) < utcnow()))
    token = new_token()
    row = WebSession(
        token_hash=token_hash(token),
        username=user.username,
        csrf_token=new_token(),
        expires_at=utcnow() + timedelta(minutes=minutes),
    )
    session.add(row)
    await session.commit()
    return token, SignedIn(user.username, user.roles, user.language, row.csrf_token)


async def signed_in(session: AsyncSession, token: str | None) -> SignedIn | None:
    """The user of a live session who is active, read in one statement; a writing request
    checks it under STAFF_LOCK, which it holds until it ends. Expired sessions are removed at
    the next sign-in (a reading request writes nothing)."""
    if not token:
        return None
    if _writes(session):
        await _lock_staff(session)
    found = (
        await session.exec(
            select(WebSession, User)
            .join(User, col(User.username) == col(WebSession.username))
            .where(WebSession.token_hash == token_hash(token))
        )
    ).first()
    if found is None:
        return None
    row, user = found
    expires = (
        row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=utcnow().tzinfo)
    )
    if expires < utcnow() or not user.active:
        return None
    return SignedIn(user.username, user.roles, user.language, row.csrf_token)


async def sign_out(session: AsyncSession, token: str | None) -> None:
    if token and (row := await session.get(WebSession, token_hash(token))):
        await session.delete(row)
        await session.commit()


async def set_language(session: AsyncSession, username: str, language: str) -> None:
    user = (await session.exec(select(User).where(User.username == username))).first()
    if user is not None and language in ("nl", "en"):
        user.language = language
        session.add(user)
        await session.commit()


async def users(session: AsyncSession) -> list[User]:
    return list((await session.exec(select(User).order_by(col(User.username)))).all())


async def create_user(
    session: AsyncSession, username: str, password: str, roles: list[str]
) -> str | None:
    """A new staff user; returns a problem to show, or None."""
    username = username.strip()
    if not username or len(username) > 100:
        return "username: 1 to 100 characters"
    if len(password) < 12:
        return "password: at least 12 characters"
    if not roles or any(r not in ROLES for r in roles):
        return "roles: choose at least one known role"
    await _lock_staff(session)  # usernames are unique: checked, then added, under the lock
    if (await session.exec(select(User).where(User.username == username))).first():
        return "username: exists already"
    session.add(User(username=username, password_hash=hash_password(password), roles=roles))
    await session.commit()
    return None


async def set_active(session: AsyncSession, username: str, active: bool, by: str) -> str | None:
    """Switch a user off (their sessions end) or on again; nobody switches themselves off."""
    if username == by and not active:
        return "you cannot deactivate yourself"
    await _lock_staff(session)  # after the requests of `username` under way; before the next
    user = (await session.exec(select(User).where(User.username == username))).first()
    if user is None:
        return "no such user"
    user.active = active
    session.add(user)
    if not active:
        for row in (
            await session.exec(select(WebSession).where(WebSession.username == username))
        ).all():
            await session.delete(row)
    await session.commit()
    return None
