"""The portal's own use cases: sign-in and sessions, and users. Each page's data, gathered
from the services as the signed-in user, is in `services.portal.pages`.

Unlike other services' use cases, these do not open their unit of work: they take the
request's, open from the `user` check to the route's end (`services.portal.api.get_uow`), so
that a writing request checks its session and acts in one transaction (ADR 24)."""

from dataclasses import dataclass
from datetime import timedelta

from services.portal.models import User, WebSession
from services.portal.security import hash_password, new_token, token_hash, verify_password
from services.portal.uow import PortalUnitOfWork

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
# requests then follow one another, as they do on SQLite (its one write lock, which a writing
# unit of work holds from its start); staff clicks are few.
STAFF_LOCK = "portal.staff"


async def sign_in(
    uow: PortalUnitOfWork, username: str, password: str, minutes: int
) -> tuple[str, SignedIn] | None:
    user = await uow.users.by_username(username)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        return None
    await uow.lock(STAFF_LOCK)  # not switched off since the password was checked
    await uow.users.reread(user)
    if not user.active:
        return None
    await uow.sessions.remove_expired(uow.now)
    token = new_token()
    row = WebSession(
        token_hash=token_hash(token),
        username=user.username,
        csrf_token=new_token(),
        expires_at=uow.now + timedelta(minutes=minutes),
    )
    uow.sessions.add(row)
    await uow.commit()
    return token, SignedIn(user.username, user.roles, user.language, row.csrf_token)


async def signed_in(uow: PortalUnitOfWork, token: str | None) -> SignedIn | None:
    """The user of a live session who is active, read in one statement; a writing request
    checks it under STAFF_LOCK, which it holds until it ends. Expired sessions are removed at
    the next sign-in (a reading request writes nothing)."""
    if not token:
        return None
    if uow.write:
        await uow.lock(STAFF_LOCK)
    found = await uow.sessions.with_user(token_hash(token))
    if found is None:
        return None
    row, user = found
    now = uow.now
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=now.tzinfo)
    if expires < now or not user.active:
        return None
    return SignedIn(user.username, user.roles, user.language, row.csrf_token)


async def sign_out(uow: PortalUnitOfWork, token: str | None) -> None:
    if token and (row := await uow.sessions.get(token_hash(token))):
        await uow.sessions.remove(row)
        await uow.commit()


async def set_language(uow: PortalUnitOfWork, username: str, language: str) -> None:
    user = await uow.users.by_username(username)
    if user is not None and language in ("nl", "en"):
        user.language = language
        uow.users.add(user)
        await uow.commit()


async def users(uow: PortalUnitOfWork) -> list[User]:
    return await uow.users.all()


async def create_user(
    uow: PortalUnitOfWork, username: str, password: str, roles: list[str]
) -> str | None:
    """A new staff user; returns a problem to show, or None."""
    username = username.strip()
    if not username or len(username) > 100:
        return "username: 1 to 100 characters"
    if len(password) < 12:
        return "password: at least 12 characters"
    if not roles or any(r not in ROLES for r in roles):
        return "roles: choose at least one known role"
    await uow.lock(STAFF_LOCK)  # usernames are unique: checked, then added, under the lock
    if await uow.users.by_username(username):
        return "username: exists already"
    uow.users.add(User(username=username, password_hash=hash_password(password), roles=roles))
    await uow.commit()
    return None


async def set_active(uow: PortalUnitOfWork, username: str, active: bool, by: str) -> str | None:
    """Switch a user off (their sessions end) or on again; nobody switches themselves off."""
    if username == by and not active:
        return "you cannot deactivate yourself"
    await uow.lock(STAFF_LOCK)  # after the requests of `username` under way; before the next
    user = await uow.users.by_username(username)
    if user is None:
        return "no such user"
    user.active = active
    uow.users.add(user)
    if not active:
        await uow.sessions.remove_of(username)
    await uow.commit()
    return None


async def first_admin(uow: PortalUnitOfWork, password: str) -> bool:
    """`admin` with `password`, if the portal has no user yet; whether it was created."""
    await uow.lock(STAFF_LOCK)
    if await uow.users.any():
        return False
    uow.users.add(User(username="admin", password_hash=hash_password(password), roles=["admin"]))
    await uow.commit()
    return True
