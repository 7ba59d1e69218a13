"""The KPI service's errors, each in one of the shared categories the HTTP edge maps."""

from shared.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError


class KpiError(Exception):
    """Base of the KPI service's own errors."""


class UnknownRecordError(KpiError, NotFoundError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} not found")


class UnknownProjectError(UnknownRecordError):
    """A project this service does not know: 404, or 409 with Retry-After while registry
    changes are still being applied here (the HTTP edge asks; services.kpi.main)."""

    def __init__(self, project: object) -> None:
        super().__init__("project", project)
        self.project = project


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


class RegistryNotYetAppliedError(KpiError, ConflictError):
    """A project this service cannot see yet while registry changes are still being applied
    here (a project registered a moment ago): retry shortly, it is not unknown."""

    retry_after = 2

    def __init__(self, project: object) -> None:
        super().__init__(
            f"project {project} is not known here yet: registry changes are still being "
            "applied; retry shortly",
            project=str(project),
        )
