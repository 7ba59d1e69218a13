import uuid
from datetime import date

import pytest

from services.projects import domain
from services.projects.domain import GoalKind, MemberRole, ProjectStatus
from shared.errors import ConflictError, InvalidInputError


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("draft", "submitted"),
        ("draft", "withdrawn"),
        ("submitted", "approved"),
        ("submitted", "rejected"),
        ("submitted", "draft"),
        ("approved", "running"),
        ("running", "closed"),
    ],
)
def test_allows_the_lifecycle_moves(current: str, target: str) -> None:
    domain.check_transition(ProjectStatus(current), ProjectStatus(target))


@pytest.mark.parametrize(
    ("current", "target"),
    [("draft", "approved"), ("draft", "running"), ("submitted", "closed"), ("running", "draft")],
)
def test_refuses_skipping_or_reversing_the_lifecycle(current: str, target: str) -> None:
    with pytest.raises(domain.ForbiddenTransitionError) as err:
        domain.check_transition(ProjectStatus(current), ProjectStatus(target))
    assert isinstance(err.value, ConflictError)
    assert err.value.detail["allowed_transitions"] == sorted(
        domain.TRANSITIONS[ProjectStatus(current)]
    )


@pytest.mark.parametrize("final", ["closed", "rejected", "withdrawn"])
def test_final_statuses_allow_no_move_and_no_edit(final: str) -> None:
    status = ProjectStatus(final)
    for target in ProjectStatus:
        with pytest.raises(domain.ForbiddenTransitionError, match="is final"):
            domain.check_transition(status, target)
    with pytest.raises(domain.ClosedForChangesError):
        domain.check_editable(status)


def test_every_status_is_reachable_from_draft() -> None:
    reached, frontier = {ProjectStatus.DRAFT}, [ProjectStatus.DRAFT]
    while frontier:
        for nxt in domain.TRANSITIONS[frontier.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                frontier.append(nxt)
    assert reached == set(ProjectStatus)


@pytest.mark.parametrize(
    ("kind", "parent"),
    [
        (GoalKind.PROGRAMME_LINE, None),
        (GoalKind.GUIDING_LINE, None),
        (GoalKind.GOAL, GoalKind.SPEARHEAD),
        (GoalKind.GOAL, None),
        (GoalKind.SUB_GOAL, GoalKind.GOAL),
        (GoalKind.SUB_GOAL, GoalKind.SUB_GOAL),
    ],
)
def test_goal_tree_accepts_lines_goals_and_sub_goals_in_place(
    kind: GoalKind, parent: GoalKind | None
) -> None:
    domain.check_placement(kind, parent)


@pytest.mark.parametrize(
    ("kind", "parent"),
    [
        (GoalKind.PROGRAMME_LINE, GoalKind.GOAL),
        (GoalKind.SUB_GOAL, None),
        (GoalKind.SUB_GOAL, GoalKind.GUIDING_LINE),
        (GoalKind.GOAL, GoalKind.SUB_GOAL),
    ],
)
def test_goal_tree_refuses_nodes_out_of_place(kind: GoalKind, parent: GoalKind | None) -> None:
    with pytest.raises(InvalidInputError) as err:
        domain.check_placement(kind, parent)
    assert err.value.problems[0].loc == ("body", "parent_id")


def test_moving_a_goal_under_its_own_descendant_is_refused() -> None:
    root, child, grandchild = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    parents = {root: None, child: root, grandchild: child}
    with pytest.raises(InvalidInputError, match="descendants"):
        domain.check_no_cycle(root, grandchild, parents)
    with pytest.raises(InvalidInputError):
        domain.check_no_cycle(child, child, parents)
    domain.check_no_cycle(grandchild, root, parents)


def test_membership_has_the_lead_once_and_every_partner_once() -> None:
    lead, a, b = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    members = domain.project_members(lead, [(a, MemberRole.PARTNER), (b, MemberRole.CO_FINANCIER)])
    assert members == {lead: MemberRole.LEAD, a: MemberRole.PARTNER, b: MemberRole.CO_FINANCIER}


def test_membership_problems_name_each_bad_partner() -> None:
    lead, a = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(InvalidInputError) as err:
        domain.project_members(
            lead, [(a, MemberRole.PARTNER), (a, MemberRole.ADVISOR), (lead, MemberRole.PARTNER)]
        )
    assert [p.loc for p in err.value.problems] == [
        ("body", "partners", 1, "organisation_id"),
        ("body", "partners", 2, "organisation_id"),
    ]


def test_project_may_not_end_before_it_starts() -> None:
    domain.check_project_dates(date(2020, 1, 1), date(2020, 1, 1))
    with pytest.raises(InvalidInputError) as err:
        domain.check_project_dates(date(2021, 1, 1), date(2020, 12, 31))
    assert err.value.problems[0].loc == ("body", "end_date")
