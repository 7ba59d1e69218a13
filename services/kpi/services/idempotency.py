"""Idempotency-Keys and revoked partner keys: what intake asks before it judges any item."""

import hashlib
import json
from dataclasses import dataclass

from pydantic import BaseModel

from services.kpi.access import Principal
from services.kpi.domain.errors import IdempotencyKeyReusedError
from services.kpi.models import IdempotencyRecord
from services.kpi.services.common import key_lock
from services.kpi.uow import KpiUnitOfWork


@dataclass(frozen=True)
class Idempotency:
    """A partner's Idempotency-Key and its request's hash. One rule for single and batch
    intake (as payment APIs do it): the key is kept with the answer when the request was
    accepted, wholly or in part; a request refused whole keeps none, so the corrected one
    may be sent with the same key; the same key with another body is a 409."""

    key: str
    request_hash: str

    @classmethod
    def of(cls, key: str | None, body: BaseModel) -> "Idempotency | None":
        """The body is hashed only when a key is given (a batch body is a thousand items)."""
        if not key:
            return None
        canonical = json.dumps(
            body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), default=str
        )
        return cls(key[:200], hashlib.sha256(canonical.encode()).hexdigest())


@dataclass(frozen=True)
class StoredResponse:
    """An answer as the HTTP edge rendered it (status and JSON text), kept with a key and
    given back byte for byte when the key comes again."""

    status_code: int
    content: bytes


def replayed(
    record: IdempotencyRecord, idem: Idempotency
) -> StoredResponse | IdempotencyKeyReusedError:
    """The first answer to a key, or the 409 when the key comes with another body."""
    if record.request_hash != idem.request_hash:
        return IdempotencyKeyReusedError()
    return StoredResponse(record.status_code, record.body.encode())


def remember(
    uow: KpiUnitOfWork, principal: Principal, idem: Idempotency, answer: StoredResponse
) -> None:
    uow.access.add(
        IdempotencyRecord(
            principal=principal.name,
            key=idem.key,
            request_hash=idem.request_hash,
            status_code=answer.status_code,
            body=answer.content.decode(),
        )
    )


async def revoked_keys(uow: KpiUnitOfWork, principals: list[Principal]) -> set[str]:
    """The partner keys among `principals` revoked by now, asked under their locks: a key
    checked when the request arrived may have been revoked before its reports go in."""
    hashes = sorted({p.key_hash for p in principals if p.key_hash is not None})
    if not hashes:
        return set()
    await uow.lock(*map(key_lock, hashes), shared=True)
    owners = await uow.access.key_owners(hashes)
    return {h for h in hashes if h not in owners or owners[h][1] is not None}
