"""The registry's rules, free of any framework: lifecycle, goal tree, membership."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from shared.errors import ConflictError, FieldProblem, InvalidInputError, NotFoundError


class RegistryError(Exception):
    """Base of the registry's own errors (each also derives from a shared category)."""


class UnknownRecordError(RegistryError, NotFoundError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} not found")


class DuplicateError(RegistryError, ConflictError):
    def __init__(self, what: str, field: str, value: object) -> None:
        super().__init__(f"a {what} with {field} {value!r} already exists", field=field)


class ConcurrentChangeError(RegistryError, ConflictError):
    """A unique rule checked before writing was broken by a change committed meanwhile."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the {what} clashes with a change committed at the same moment; retry")


class InvalidRegistryInputError(RegistryError, InvalidInputError):
    pass


class ProjectStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RUNNING = "running"
    CLOSED = "closed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


TRANSITIONS: Mapping[ProjectStatus, frozenset[ProjectStatus]] = {
    ProjectStatus.DRAFT: frozenset({ProjectStatus.SUBMITTED, ProjectStatus.WITHDRAWN}),
    # A submitted application may go back to draft for changes before a decision.
    ProjectStatus.SUBMITTED: frozenset(
        {
            ProjectStatus.APPROVED,
            ProjectStatus.REJECTED,
            ProjectStatus.WITHDRAWN,
            ProjectStatus.DRAFT,
        }
    ),
    ProjectStatus.APPROVED: frozenset({ProjectStatus.RUNNING, ProjectStatus.WITHDRAWN}),
    ProjectStatus.RUNNING: frozenset({ProjectStatus.CLOSED}),
    ProjectStatus.CLOSED: frozenset(),
    ProjectStatus.REJECTED: frozenset(),
    ProjectStatus.WITHDRAWN: frozenset(),
}

FINAL_STATUSES = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)


class ForbiddenTransitionError(RegistryError, ConflictError):
    def __init__(self, current: ProjectStatus, target: ProjectStatus) -> None:
        allowed = sorted(TRANSITIONS[current])
        super().__init__(
            f"a {current} project cannot become {target}; "
            + (f"allowed: {', '.join(allowed)}" if allowed else f"{current} is final"),
            current_status=str(current),
            allowed_transitions=[str(s) for s in allowed],
        )


class ClosedForChangesError(RegistryError, ConflictError):
    def __init__(self, status: ProjectStatus) -> None:
        super().__init__(f"a {status} project can no longer be changed", current_status=str(status))


def check_transition(current: ProjectStatus, target: ProjectStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise ForbiddenTransitionError(current, target)


def check_editable(status: ProjectStatus) -> None:
    if status in FINAL_STATUSES:
        raise ClosedForChangesError(status)


@dataclass(frozen=True)
class ProjectFilter:
    """Which projects a listing asks for (each field left None matches any)."""

    status: str | None = None
    goal_id: UUID | None = None
    organisation_id: UUID | None = None
    programme_id: UUID | None = None
    code: str | None = None


class GoalKind(StrEnum):
    PROGRAMME_LINE = "programme_line"
    GUIDING_LINE = "guiding_line"
    SPEARHEAD = "spearhead"
    FOUNDATION_THEME = "foundation_theme"
    GOAL = "goal"
    SUB_GOAL = "sub_goal"


LINE_KINDS = frozenset(
    {GoalKind.PROGRAMME_LINE, GoalKind.GUIDING_LINE, GoalKind.SPEARHEAD, GoalKind.FOUNDATION_THEME}
)

# Which kinds may hang under which: lines sit at the top, goals under lines (or at
# the top of a programme without lines), sub-goals under goals, to any depth.
ALLOWED_PARENTS: Mapping[GoalKind, frozenset[GoalKind | None]] = {
    **{kind: frozenset({None}) for kind in LINE_KINDS},
    GoalKind.GOAL: frozenset({None, *LINE_KINDS}),
    GoalKind.SUB_GOAL: frozenset({GoalKind.GOAL, GoalKind.SUB_GOAL}),
}


def check_placement(kind: GoalKind, parent_kind: GoalKind | None) -> None:
    if parent_kind not in ALLOWED_PARENTS[kind]:
        where = f"under a {parent_kind}" if parent_kind else "at the top of the tree"
        allowed = sorted("the top" if p is None else str(p) for p in ALLOWED_PARENTS[kind])
        raise InvalidRegistryInputError.single(
            ("body", "parent_id"),
            f"a {kind} cannot sit {where}; it can sit under: {', '.join(allowed)}",
        )


def check_no_cycle(
    node_id: UUID, new_parent_id: UUID | None, parent_of: Mapping[UUID, UUID | None]
) -> None:
    """Moving a node under itself or one of its descendants would cut it off the tree."""
    cursor = new_parent_id
    while cursor is not None:
        if cursor == node_id:
            raise InvalidRegistryInputError.single(
                ("body", "parent_id"),
                "a goal cannot be moved under itself or one of its descendants",
            )
        cursor = parent_of.get(cursor)


class OrganisationKind(StrEnum):
    COMPANY = "company"
    MUNICIPALITY = "municipality"
    PROVINCE = "province"
    NATIONAL_GOVERNMENT = "national_government"
    KNOWLEDGE_INSTITUTION = "knowledge_institution"
    SCHOOL = "school"
    FOUNDATION_ASSOCIATION = "foundation_association"
    OTHER = "other"


class MemberRole(StrEnum):
    LEAD = "lead"  # the penvoerder: reports for and answers for the project
    PARTNER = "partner"
    CO_FINANCIER = "co_financier"
    ADVISOR = "advisor"


def project_members(
    lead_organisation_id: UUID, partners: Iterable[tuple[UUID, MemberRole]]
) -> dict[UUID, MemberRole]:
    """The membership: the lead once as lead, every partner once with its role."""
    members: dict[UUID, MemberRole] = {}
    problems: list[FieldProblem] = []
    for index, (organisation_id, role) in enumerate(partners):
        if role is MemberRole.LEAD:
            problems.append(
                FieldProblem(
                    ("body", "partners", index, "role"), "the lead is set by lead_organisation_id"
                )
            )
        elif organisation_id == lead_organisation_id:
            problems.append(
                FieldProblem(
                    ("body", "partners", index, "organisation_id"),
                    "this is already the lead organisation",
                )
            )
        elif organisation_id in members:
            problems.append(
                FieldProblem(
                    ("body", "partners", index, "organisation_id"),
                    "this organisation is listed twice",
                )
            )
        else:
            members[organisation_id] = role
    if problems:
        raise InvalidRegistryInputError(problems)
    return {lead_organisation_id: MemberRole.LEAD, **members}


def check_project_dates(start: date, end: date, loc_prefix: tuple[str, ...] = ("body",)) -> None:
    if end < start:
        raise InvalidRegistryInputError.single(
            (*loc_prefix, "end_date"), "the end date lies before the start date"
        )


def check_programme_period(start: int, end: int) -> None:
    if end < start:
        raise InvalidRegistryInputError.single(
            ("body", "period_end"), "the period ends before it starts"
        )
