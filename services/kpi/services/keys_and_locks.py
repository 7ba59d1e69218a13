"""Partner API keys and period locks."""

import uuid
from collections.abc import Callable

from services.kpi import intake
from services.kpi.access import Principal, hash_key, new_api_key
from services.kpi.domain.errors import (
    InvalidKpiInputError,
    UnknownRecordError,
)
from services.kpi.domain.periods import Period, PeriodError
from services.kpi.models import (
    ApiKey,
    LockException,
    PeriodLock,
)
from services.kpi.schemas import (
    ApiKeyIn,
    ApiKeyIssued,
    ApiKeyPublic,
    LockExceptionIn,
    LockExceptionPublic,
    PeriodLockIn,
    PeriodLockPublic,
    ProgrammeLocksPublic,
)
from services.kpi.services.common import commit, key_lock
from services.kpi.uow import KpiUnitOfWork
from shared.auth import StaffUser
from shared.db import utcnow
from shared.rounds import Rounds


async def issue_api_key(
    uow: KpiUnitOfWork, data: ApiKeyIn, user: StaffUser, secret: bytes
) -> ApiKeyIssued:
    async with uow:
        if await uow.replica.organisation(data.organisation_id) is None:
            raise InvalidKpiInputError.single(
                ("body", "organisation_id"), f"organisation {data.organisation_id} is not known"
            )
        key = new_api_key()
        row = ApiKey(
            organisation_id=data.organisation_id,
            name=data.name,
            prefix=key[:11],
            key_hash=hash_key(key, secret),
            created_by=user.username,
        )
        uow.access.add(row)
        await commit(uow)
        return ApiKeyIssued.model_validate({**row.model_dump(), "key": key})


async def list_api_keys(
    uow: KpiUnitOfWork, organisation_id: uuid.UUID | None
) -> list[ApiKeyPublic]:
    async with uow:
        return [
            ApiKeyPublic.model_validate(k, from_attributes=True)
            for k in await uow.access.keys(organisation_id)
        ]


async def revoke_api_key(uow: KpiUnitOfWork, key_id: uuid.UUID) -> ApiKeyPublic:
    async with uow:
        key = await uow.access.key(key_id)
        if key is None:
            raise UnknownRecordError("API key", key_id)
        await uow.lock(key_lock(key.key_hash))  # after the reports under way with it, before more
        key.revoked_at = key.revoked_at or utcnow()
        uow.access.add(key)
        await commit(uow)
        return ApiKeyPublic.model_validate(key, from_attributes=True)


class PartnerKeys:
    """Partner keys that concurrent requests present are looked up together, one query per
    round (`shared.rounds`). No cache: a round starts only after its requests arrived, so a
    key revoked before a request came is always refused — on every instance."""

    def __init__(self, uow: Callable[[], KpiUnitOfWork]) -> None:
        self._uow = uow
        self._rounds: Rounds[None, str, Principal | None] = Rounds(self._look_up)

    async def principal(self, key_hash: str) -> Principal | None:
        """The organisation a key (as `access.hash_key` gives it) stands for, if valid."""
        return await self._rounds.ask(None, key_hash)

    async def _look_up(self, _: None, key_hashes: list[str]) -> list[Principal | None]:
        async with self._uow() as uow:
            owners = await uow.access.key_owners(key_hashes)
        found = {h: o for h, (o, revoked) in owners.items() if revoked is None}
        return [Principal.partner(found[h], h) if h in found else None for h in key_hashes]


async def lock_period(uow: KpiUnitOfWork, data: PeriodLockIn, user: StaffUser) -> None:
    """Lock a period of a programme's own years: a period outside them has no reports of
    the programme to close, so locking it can only be a typing error (or a forged form)."""
    period = _parse_period(data.period)
    async with uow:
        await uow.lock(intake.PERIOD_LOCKS)  # after the reports under way, before any more
        programme = await uow.replica.programme(data.programme_id)
        if programme is None:
            raise InvalidKpiInputError.single(("body", "programme_id"), "unknown programme")
        if not programme.period_start <= period.year <= programme.period_end:
            raise InvalidKpiInputError.single(
                ("body", "period"),
                f"{data.period} lies outside the programme's years "
                f"{programme.period_start}-{programme.period_end}",
            )
        if await uow.access.lock(data.programme_id, data.period):
            return
        uow.access.add(
            PeriodLock(programme_id=data.programme_id, period=data.period, locked_by=user.username)
        )
        await commit(uow)


async def grant_lock_exception(uow: KpiUnitOfWork, data: LockExceptionIn, user: StaffUser) -> None:
    _parse_period(data.period)
    async with uow:
        await uow.lock(intake.PERIOD_LOCKS)  # one row per project and period
        if await uow.replica.project(data.project_id) is None:
            raise InvalidKpiInputError.single(("body", "project_id"), "unknown project")
        if await uow.access.lock_exception(data.project_id, data.period):
            return
        uow.access.add(
            LockException(
                project_id=data.project_id,
                period=data.period,
                reason=data.reason,
                granted_by=user.username,
            )
        )
        await commit(uow)


async def programme_locks(uow: KpiUnitOfWork, programme_id: uuid.UUID) -> ProgrammeLocksPublic:
    """A programme's locked periods and its projects' exceptions to them, for the people
    who lock: they see what is closed before closing more or granting an exception."""
    async with uow:
        programme = await uow.replica.programme(programme_id)
        if programme is None:
            raise UnknownRecordError("programme", programme_id)
        locks = await uow.access.locks_of(programme_id)
        exceptions = await uow.access.exceptions_of(programme_id)
        return ProgrammeLocksPublic(
            programme_id=programme.id,
            programme_name=programme.name,
            period_start=programme.period_start,
            period_end=programme.period_end,
            locks=[
                PeriodLockPublic(
                    programme_id=programme.id,
                    programme_name=programme.name,
                    period=lock.period,
                    locked_by=lock.locked_by,
                    locked_at=lock.locked_at,
                )
                for lock in locks
            ],
            exceptions=[
                LockExceptionPublic(
                    project_id=project.id,
                    project_code=project.code,
                    project_name=project.name,
                    period=exception.period,
                    reason=exception.reason,
                    granted_by=exception.granted_by,
                    granted_at=exception.granted_at,
                )
                for exception, project in exceptions
            ],
        )


def _parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except PeriodError as exc:
        raise InvalidKpiInputError.single(("body", "period"), str(exc)) from exc
