"""The KPI service's errors, each in one of the shared categories the HTTP edge maps."""

from shared.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError


class KpiError(Exception):
    """Base of the KPI service's own errors."""


class UnknownRecordError(KpiError, NotFoundError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} not found")


class InvalidKpiInputError(KpiError, InvalidInputError):
    pass


class NotYourProjectError(KpiError, ForbiddenError):
    def __init__(self, project: object) -> None:
        super().__init__(f"your organisation is not a lead or partner of project {project}")


class PeriodLockedError(KpiError, ConflictError):
    def __init__(self, period: str, why: str) -> None:
        super().__init__(f"period {period} is locked: {why}", period=period, locked_because=why)


class ReviewStateError(KpiError, ConflictError):
    def __init__(self, state: str, decision: str) -> None:
        super().__init__(
            f"a {state} report cannot be {decision}; only submitted reports are reviewed",
            state=state,
        )


class IdempotencyKeyReusedError(KpiError, ConflictError):
    def __init__(self) -> None:
        super().__init__("this Idempotency-Key was used before with a different request body")


class DuplicateError(KpiError, ConflictError):
    def __init__(self, what: str, field: str, value: object) -> None:
        super().__init__(f"a {what} with {field} {value!r} already exists", field=field)
