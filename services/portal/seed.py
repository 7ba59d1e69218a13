"""The first administrator of a new portal, with a random password printed once."""

import secrets

from sqlmodel import select

from services.portal.models import User
from services.portal.security import hash_password
from shared.db import writing
from shared.runtime import ServiceRuntime


async def seed_admin(runtime: ServiceRuntime) -> str | None:
    """Create `admin` if no user exists; return (and print) its initial password."""
    async with runtime.sessions(bind=writing(runtime.engine)) as session:
        if (await session.exec(select(User))).first() is not None:
            return None
        password = secrets.token_urlsafe(12)
        session.add(User(username="admin", password_hash=hash_password(password), roles=["admin"]))
        await session.commit()
    print(f"portal     sign in as admin with password {password} (shown once)", flush=True)
    return password
