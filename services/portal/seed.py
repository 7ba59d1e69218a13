"""The first administrator of a new portal, with a random password printed once."""

import secrets

from services.portal import services
from services.portal.uow import PortalUnitOfWork
from shared.runtime import ServiceRuntime


async def seed_admin(runtime: ServiceRuntime) -> str | None:
    """Create `admin` if no user exists; return (and print) its initial password."""
    password = secrets.token_urlsafe(12)
    async with PortalUnitOfWork(runtime.sessions, runtime.settings.service_name) as uow:
        if not await services.first_admin(uow, password):
            return None
    print(f"portal     sign in as admin with password {password} (shown once)", flush=True)
    return password
