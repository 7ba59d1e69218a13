"""Error categories that the HTTP edge maps to status codes.

Services derive their own errors from these, so a route never decides a status
code itself and every service answers alike.
"""

from collections.abc import Sequence
from dataclasses import dataclass


class DomainError(Exception):
    """Base of every business-rule failure a service reports to its caller."""


class NotFoundError(DomainError):
    """The thing addressed (usually by the URL) does not exist: 404."""


class ForbiddenError(DomainError):
    """The caller is known but may not touch this thing (another partner's project): 403."""


class ConflictError(DomainError):
    """The request is well-formed but clashes with the current state: 409. With
    `retry_after` (seconds) the state is expected to change by itself: the same request
    may succeed then (the answer carries Retry-After)."""

    retry_after: int | None = None

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class FieldProblem:
    """One bad field: where it is (as in pydantic's `loc`) and why it is bad."""

    loc: tuple[str | int, ...]
    msg: str
    type: str = "value_error"


class InvalidInputError(DomainError):
    """Input that passed the schema but breaks a rule (unknown reference, bad dates): 422."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        self.problems = list(problems)

    @classmethod
    def single(
        cls, loc: tuple[str | int, ...], msg: str, type_: str = "value_error"
    ) -> "InvalidInputError":
        return cls([FieldProblem(loc, msg, type_)])
