"""Enterprises counted once: KvK numbers in their form, keyed hashes, and totals over
several projects that count each identifier once (domain.distinct)."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kpi.domain.distinct import (
    CountedOnce,
    IdentifiedValue,
    IdentifierError,
    counted_once,
    keyed_hash,
    kvk_number,
    pseudonym,
)


@pytest.mark.parametrize("text", ["12345678", "1234 5678", "12.34.56.78", "01234567"])
def test_kvk_numbers_are_eight_digits_however_written(text: str) -> None:
    assert len(kvk_number(text)) == 8


@pytest.mark.parametrize(
    "text",
    [
        "1234567",
        "123456789",
        "1234567a",
        "00000000",
        "\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18",
        "",
    ],
)
def test_anything_else_is_not_a_kvk_number(text: str) -> None:
    with pytest.raises(IdentifierError):
        kvk_number(text)


def test_pseudonyms_are_plain_tokens() -> None:
    assert pseudonym("p-17_x") == "p-17_x"
    with pytest.raises(IdentifierError):
        pseudonym("not one")


def test_hashes_are_equal_for_equal_identifiers_under_one_secret_only() -> None:
    a = keyed_hash(CountedOnce.ENTERPRISE, "12345678", b"s1")
    assert a == keyed_hash(CountedOnce.ENTERPRISE, "12345678", b"s1")
    assert a != keyed_hash(CountedOnce.ENTERPRISE, "12345678", b"s2")
    assert a != keyed_hash(CountedOnce.PARTICIPANT, "12345678", b"s1")
    assert "12345678" not in a


def test_two_projects_sharing_an_enterprise_count_it_once() -> None:
    cells = [
        IdentifiedValue("A", Decimal(3), frozenset({"x", "y", "z"})),
        IdentifiedValue("B", Decimal(2), frozenset({"x", "w"})),
    ]
    # 4 reported without identifiers elsewhere stay as they are
    total = counted_once(Decimal(9), cells)
    assert total.value == 8 and total.reported == 9 and total.more_than_one_project == 1


@given(
    st.lists(
        st.tuples(st.sampled_from("ABC"), st.sets(st.sampled_from("pqrstu"), min_size=1)),
        max_size=8,
    ),
    st.integers(0, 50),
)
def test_the_total_is_the_unlisted_values_plus_each_listed_identifier_once(
    cells: list[tuple[str, set[str]]], unlisted: int
) -> None:
    values = [IdentifiedValue(p, Decimal(len(ids)), frozenset(ids)) for p, ids in cells]
    reported = Decimal(unlisted) + sum((v.value for v in values), Decimal(0))
    total = counted_once(reported, values)
    everyone = set().union(*(ids for _, ids in cells))
    assert total.value == unlisted + len(everyone)
    assert 0 <= total.more_than_one_project <= total.reported - total.value
