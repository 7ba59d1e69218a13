"""Properties of every service's domain validators, over generated input: each accepts
exactly what its rule allows, refuses the rest with a problem at a field, and never raises
anything else."""

import itertools
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.kpi.domain.indicators import (
    Direction,
    Indicator,
    IndicatorKind,
    Level,
    ReportedValue,
)
from services.kpi.domain.kinds import KINDS, value_problems
from services.kpi.domain.outcomes import (
    LinkKind,
    Revision,
    current_values,
    definition_problems,
    link_problems,
    measurement_problems,
)
from services.kpi.domain.periods import Period, PeriodError, quarters
from services.kpi.domain.progress import Target, Tolerances, percent_of_target, status_of
from services.notifications.domain.recipients import backoff, webhook_url_problem
from services.projects.domain import (
    ALLOWED_PARENTS,
    FINAL_STATUSES,
    TRANSITIONS,
    GoalKind,
    InvalidRegistryInputError,
    MemberRole,
    ProjectStatus,
    check_no_cycle,
    check_placement,
    check_project_dates,
    check_transition,
    project_members,
)
from shared.errors import ConflictError
from shared.inputs import MAX_YEAR, MIN_YEAR
from shared.kinds import Reported

statuses = st.sampled_from(list(ProjectStatus))
kinds = st.sampled_from(list(GoalKind))
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2040, 12, 31))
numbers = st.decimals(allow_nan=True, allow_infinity=True, places=None) | st.integers(
    -(10**9), 10**9
).map(Decimal)


# --- registry -------------------------------------------------------------------------------


@given(statuses, statuses)
def test_a_transition_is_allowed_exactly_when_the_lifecycle_has_it(
    current: ProjectStatus, target: ProjectStatus
) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(ConflictError):
            check_transition(current, target)


@given(st.lists(statuses, max_size=12))
def test_no_walk_through_the_lifecycle_leaves_a_final_status(walk: list[ProjectStatus]) -> None:
    current = ProjectStatus.DRAFT
    for target in walk:
        try:
            check_transition(current, target)
        except ConflictError:
            assert current in FINAL_STATUSES or target not in TRANSITIONS[current]
            continue
        assert current not in FINAL_STATUSES
        current = target


@given(kinds, st.none() | kinds)
def test_a_goal_sits_only_where_the_tree_allows(kind: GoalKind, parent: GoalKind | None) -> None:
    if parent in ALLOWED_PARENTS[kind]:
        check_placement(kind, parent)
    else:
        with pytest.raises(InvalidRegistryInputError) as refused:
            check_placement(kind, parent)
        assert refused.value.problems[0].loc == ("body", "parent_id")


@st.composite
def trees(draw: st.DrawFn) -> dict[uuid.UUID, uuid.UUID | None]:
    """A random forest: each node's parent is an earlier node or none."""
    nodes = [uuid.UUID(int=i + 1) for i in range(draw(st.integers(1, 15)))]
    return {
        n: draw(st.none() | st.sampled_from(nodes[:i])) if i else None for i, n in enumerate(nodes)
    }


def descendants(node: uuid.UUID, parent_of: dict[uuid.UUID, uuid.UUID | None]) -> set[uuid.UUID]:
    found, grew = {node}, True
    while grew:
        more = {n for n, p in parent_of.items() if p in found} - found
        found |= more
        grew = bool(more)
    return found


@given(trees(), st.data())
def test_a_goal_moves_anywhere_but_under_itself_or_its_descendants(
    parent_of: dict[uuid.UUID, uuid.UUID | None], data: st.DataObject
) -> None:
    nodes = list(parent_of)
    node = data.draw(st.sampled_from(nodes))
    new_parent = data.draw(st.none() | st.sampled_from(nodes))
    if new_parent is not None and new_parent in descendants(node, parent_of):
        with pytest.raises(InvalidRegistryInputError):
            check_no_cycle(node, new_parent, parent_of)
    else:
        check_no_cycle(node, new_parent, parent_of)


organisations = st.integers(1, 6).map(lambda i: uuid.UUID(int=i))


@given(organisations, st.lists(st.tuples(organisations, st.sampled_from(list(MemberRole)))))
def test_the_lead_is_a_member_once_and_every_partner_once(
    lead: uuid.UUID, partners: list[tuple[uuid.UUID, MemberRole]]
) -> None:
    ids = [p for p, _ in partners]
    valid = (
        all(role is not MemberRole.LEAD for _, role in partners)
        and lead not in ids
        and len(set(ids)) == len(ids)
    )
    if valid:
        members = project_members(lead, partners)
        assert members[lead] is MemberRole.LEAD
        assert members == {lead: MemberRole.LEAD, **dict(partners)}
    else:
        with pytest.raises(InvalidRegistryInputError) as refused:
            project_members(lead, partners)
        assert all(p.loc[:2] == ("body", "partners") for p in refused.value.problems)


@given(days, days)
def test_a_project_ends_on_or_after_its_start(start: date, end: date) -> None:
    if end >= start:
        check_project_dates(start, end)
    else:
        with pytest.raises(InvalidRegistryInputError):
            check_project_dates(start, end)


# --- KPI ------------------------------------------------------------------------------------


@given(st.integers(MIN_YEAR, MAX_YEAR), st.none() | st.integers(1, 4))
def test_every_period_reads_back_as_itself(year: int, quarter: int | None) -> None:
    period = Period(year, quarter)
    assert Period.parse(str(period)) == period
    assert period.start <= period.end
    assert period.end.year == year


@given(st.text(max_size=12))
def test_anything_else_is_refused_as_a_period(text: str) -> None:
    stripped = text.strip()
    is_period = (
        len(stripped) in (4, 7)
        and stripped[:4].isascii()
        and stripped[:4].isdigit()
        and (len(stripped) == 4 or (stripped[4:6] == "-Q" and stripped[6] in "1234"))
        and MIN_YEAR <= int(stripped[:4]) <= MAX_YEAR
    )
    if is_period:
        assert str(Period.parse(text)) == stripped
    else:
        with pytest.raises(PeriodError):
            Period.parse(text)


@given(st.integers(2000, 2030), st.integers(1, 4), st.integers(0, 40))
def test_quarters_run_without_gaps(year: int, quarter: int, length: int) -> None:
    first = Period(year, quarter)
    last = first
    for _ in range(length):
        last = last.next_quarter()
    run = quarters(first, last)
    assert len(run) == length + 1
    assert all(a.end + timedelta(days=1) == b.start for a, b in itertools.pairwise(run))


def indicator(kind: IndicatorKind, decimals: bool, negative: bool) -> Indicator:
    return Indicator(
        code="X",
        name_en="x",
        name_nl=None,
        unit="companies",
        level=Level.OUTPUT,
        kind=kind,
        decimals_allowed=decimals,
        negative_allowed=negative,
    )


def acceptable(number: Decimal, decimals: bool, negative: bool) -> bool:
    return (
        number.is_finite()
        and (negative or number >= 0)
        and (decimals or number == number.to_integral_value())
    )


# every kind reported as one number (flows, stocks, and any kind added so)
VALUE_KINDS = sorted(
    IndicatorKind(k) for k, kind in KINDS.items() if kind.facts.reported is Reported.VALUE
)


@given(
    st.sampled_from(VALUE_KINDS),
    numbers,
    st.booleans(),
    st.booleans(),
)
def test_a_number_is_accepted_exactly_when_the_indicator_allows_it(
    kind: IndicatorKind, number: Decimal, decimals: bool, negative: bool
) -> None:
    assume(not number.is_snan())
    problems = value_problems(indicator(kind, decimals, negative), ReportedValue(value=number))
    assert (problems == []) == acceptable(number, decimals, negative)
    assert all(p.loc == ("body", "value") for p in problems)


@given(st.none() | numbers, st.none() | numbers, st.booleans())
def test_a_ratio_needs_a_numerator_and_a_denominator_other_than_zero(
    numerator: Decimal | None, denominator: Decimal | None, decimals: bool
) -> None:
    assume(not any(n is not None and n.is_snan() for n in (numerator, denominator)))
    ratio = indicator(IndicatorKind.RATIO, decimals, False)
    problems = value_problems(ratio, ReportedValue(numerator=numerator, denominator=denominator))
    fields = {p.loc[-1] for p in problems}
    assert ("numerator" in fields) == (
        numerator is None or not acceptable(numerator, decimals, False)
    )
    assert ("denominator" in fields) == (
        denominator is None or denominator == 0 or not acceptable(denominator, decimals, False)
    )


@given(st.text(max_size=30), st.none() | numbers)
def test_a_qualitative_report_is_text_and_only_text(text: str, number: Decimal | None) -> None:
    assume(number is None or not number.is_snan())
    qualitative = indicator(IndicatorKind.QUALITATIVE, False, False)
    problems = value_problems(qualitative, ReportedValue(value=number, text=text))
    assert (problems == []) == (bool(text.strip()) and number is None)


@given(st.none() | days, st.none() | days)
def test_an_outcome_target_lies_on_or_after_its_baseline(
    baseline: date | None, target: date | None
) -> None:
    problems = definition_problems(baseline, target)
    assert bool(problems) == bool(baseline and target and target < baseline)


@given(st.integers(1990, 2040), days, days)
def test_a_measurement_is_of_a_past_year_and_already_published(
    year: int, published: date, today: date
) -> None:
    fields = {p.loc[-1] for p in measurement_problems(year, published, today)}
    assert ("period" in fields) == (year >= today.year)
    assert ("published_on" in fields) == (published > today)


units = st.sampled_from(["jobs", "Jobs ", "companies", "%"])


@given(st.sampled_from(list(LinkKind)), units, units, st.sampled_from(["flow", "stock", "ratio"]))
def test_a_quantitative_link_needs_the_same_unit_and_a_summable_output(
    kind: LinkKind, output_unit: str, outcome_unit: str, output_kind: str
) -> None:
    problems = link_problems(kind, output_unit, outcome_unit, output_kind)
    same = output_unit.strip().casefold() == outcome_unit.strip().casefold()
    ok = kind is LinkKind.QUALITATIVE or (same and output_kind in ("flow", "stock"))
    assert (problems == []) == ok


revisions = st.builds(
    Revision,
    year=st.integers(2015, 2020),
    value=st.integers(0, 100).map(Decimal),
    published_on=days,
    revision=st.integers(1, 5),
)


@given(st.lists(revisions, max_size=20, unique_by=lambda r: (r.year, r.published_on, r.revision)))
def test_the_current_value_is_the_latest_publication_whatever_the_order(
    published: list[Revision],
) -> None:
    current = current_values(published)
    assert current == current_values(reversed(published))
    for year, value in current.items():
        newest = max(
            (r for r in published if r.year == year), key=lambda r: (r.published_on, r.revision)
        )
        assert value == newest.value


# --- progress -------------------------------------------------------------------------------

tolerances = Tolerances(on_track=Decimal("0.15"), at_risk=Decimal("0.30"))
amounts = st.integers(-1000, 1000).map(Decimal)
ORDER = {"on_track": 0, "at_risk": 1, "off_track": 2}


@given(amounts, amounts, amounts, st.sampled_from(list(Direction)))
def test_doing_better_never_worsens_the_status(
    realised: Decimal, better_by: Decimal, expected: Decimal, direction: Direction
) -> None:
    step = abs(better_by) if direction is Direction.HIGHER_IS_BETTER else -abs(better_by)
    now = status_of(realised, expected, direction, tolerances)
    better = status_of(realised + step, expected, direction, tolerances)
    assert ORDER[better] <= ORDER[now]


@given(amounts, amounts, st.sampled_from(list(Direction)))
def test_baseline_is_zero_and_target_a_hundred_percent_either_way(
    baseline: Decimal, target_value: Decimal, direction: Direction
) -> None:
    assume(baseline != target_value)
    target = Target(target_value, date(2030, 1, 1), baseline, None, direction)
    assert percent_of_target(baseline, target) == 0
    assert percent_of_target(target_value, target) == 100


# --- notifications --------------------------------------------------------------------------


@given(st.sampled_from(["https", "http", "ftp", "", "javascript"]), st.text(max_size=15))
def test_webhooks_go_to_absolute_https_urls(scheme: str, host: str) -> None:
    url = f"{scheme}://{host}/hook" if scheme else host
    problem = webhook_url_problem(url, allow_http=False)
    if problem is None:
        assert url.startswith("https://")


@given(st.integers(1, 20), st.floats(0.1, 60))
def test_backoff_doubles_with_each_failure(attempts: int, base: float) -> None:
    assert backoff(attempts + 1, base) == pytest.approx(2 * backoff(attempts, base))
    assert backoff(1, base) == pytest.approx(base)
