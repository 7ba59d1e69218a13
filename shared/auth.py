"""Staff authentication: signed bearer tokens (JWT, HS256) naming the user and roles.

Every service verifies tokens with the shared signing key; the staff portal (and,
until it exists, the CLI) mints them. Partner API keys are a different scheme and
belong to the KPI service.
"""

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from shared.audit import name_actor


class Role(StrEnum):
    VIEWER = "viewer"
    PROGRAMME_MANAGER = "programme_manager"
    FINANCE_OFFICER = "finance_officer"
    ADMIN = "admin"


class StaffUser(BaseModel):
    username: str
    roles: frozenset[Role]

    def has_any(self, roles: Iterable[Role]) -> bool:
        return Role.ADMIN in self.roles or bool(self.roles.intersection(roles))


class TokenService:
    def __init__(
        self, secret: str, issuer: str = "koersmonitor", ttl: timedelta = timedelta(hours=8)
    ):
        self._secret = secret
        self._issuer = issuer
        self._ttl = ttl

    def mint(self, username: str, roles: Iterable[Role], ttl: timedelta | None = None) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": username,
            "roles": sorted(str(r) for r in roles),
            "iss": self._issuer,
            "iat": now,
            "exp": now + (ttl or self._ttl),
        }
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> StaffUser:
        """Raise jwt.InvalidTokenError unless the token is ours, unexpired and well-formed."""
        claims = jwt.decode(
            token,
            self._secret,
            algorithms=["HS256"],
            issuer=self._issuer,
            options={"require": ["sub", "exp", "iss"]},
        )
        roles = claims.get("roles", [])
        if not isinstance(roles, list):
            raise jwt.InvalidTokenError("roles must be a list")
        known = {r.value for r in Role}
        return StaffUser(
            username=str(claims["sub"]), roles=frozenset(Role(r) for r in roles if r in known)
        )


_bearer = HTTPBearer(auto_error=False)


def unauthorized() -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="a valid bearer token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


def current_staff_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> StaffUser:
    if credentials is None:
        raise unauthorized()
    tokens: TokenService = request.app.state.tokens
    try:
        user = tokens.verify(credentials.credentials)
    except jwt.InvalidTokenError:
        raise unauthorized() from None
    name_actor(f"staff:{user.username}")
    return user


def require_roles(*roles: Role) -> Callable[[StaffUser], StaffUser]:
    """A dependency that lets through admins and users holding one of `roles`."""

    def check(user: Annotated[StaffUser, Depends(current_staff_user)]) -> StaffUser:
        if not user.has_any(roles):
            raise HTTPException(
                status_code=status.HTTP_403_FORBIDDEN,
                detail=f"requires one of the roles: {', '.join(sorted(roles))}",
            )
        return user

    return check


Viewer = Annotated[StaffUser, Depends(current_staff_user)]
