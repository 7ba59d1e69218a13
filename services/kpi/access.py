"""Who is calling: a partner organisation (by API key) or a staff user (by token)."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from shared.auth import Role, StaffUser

KEY_PREFIX = "km_"


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str, secret: bytes) -> str:
    """HMAC-SHA256 with a server secret: keys are long random strings (no slow hash needed),
    and a copy of the table alone does not let anyone test guesses against it."""
    return hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()


def looks_like_api_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


@dataclass(frozen=True)
class Principal:
    name: str  # stable: "organisation:<id>" or "staff:<username>"; keys idempotency records
    organisation_id: uuid.UUID | None = None
    staff: StaffUser | None = None
    key_hash: str | None = None  # the partner's key, checked again where its reports are written

    @classmethod
    def partner(cls, organisation_id: uuid.UUID, key_hash: str | None = None) -> "Principal":
        return cls(
            f"organisation:{organisation_id}", organisation_id=organisation_id, key_hash=key_hash
        )

    @classmethod
    def staff_user(cls, user: StaffUser) -> "Principal":
        return cls(f"staff:{user.username}", staff=user)

    @property
    def actor(self) -> str:
        return self.name

    @property
    def reports_for_any_project(self) -> bool:
        """Programme staff enter data for partners without their own system."""
        return self.staff is not None and self.staff.has_any([Role.PROGRAMME_MANAGER])

    @property
    def reads_any_project(self) -> bool:
        return self.staff is not None
