"""The audit chain's verification: any edited, removed, inserted or reordered entry is named."""

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from shared.audit import GENESIS, entry_hash, verify_entries


def chain(actions: list[str]) -> list[dict[str, Any]]:
    entries, prev = [], GENESIS
    for seq, action in enumerate(actions, start=1):
        entry: dict[str, Any] = {
            "seq": seq,
            "at": f"2026-11-29T10:{seq % 60:02d}:00.000000+00:00",
            "actor": "staff:anna",
            "action": action,
            "changes": json.dumps([{"table": "projects", "op": "update", "new": {"n": seq}}]),
            "prev_hash": prev,
        }
        entry["hash"] = prev = entry_hash(entry)
        entries.append(entry)
    return entries


actions = st.lists(st.text(min_size=1, max_size=20), min_size=2, max_size=30)
fields = st.sampled_from(["at", "actor", "action", "changes"])


@given(actions)
def test_an_untouched_chain_is_intact_and_reports_its_head(names: list[str]) -> None:
    entries = chain(names)
    verdict = verify_entries(entries)
    assert verdict.intact
    assert (verdict.entries, verdict.head_seq, verdict.head_hash) == (
        len(names),
        len(names),
        entries[-1]["hash"],
    )


@given(actions, st.data(), fields)
def test_an_edited_entry_is_named(names: list[str], data: st.DataObject, field: str) -> None:
    entries = chain(names)
    victim = data.draw(st.integers(0, len(entries) - 1))
    entries[victim][field] = str(entries[victim][field]) + "x"
    verdict = verify_entries(entries)
    assert f"entry {victim + 1} was changed after it was written" in verdict.problems


@given(actions, st.data())
def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
    names: list[str], data: st.DataObject
) -> None:
    entries = chain(names)
    victim = data.draw(st.integers(0, len(entries) - 2))
    entries[victim]["actor"] = "staff:mallory"
    entries[victim]["hash"] = entry_hash(entries[victim])
    verdict = verify_entries(entries)
    assert f"entry {victim + 2} does not follow the entry before it" in verdict.problems


@given(actions, st.data())
def test_a_removed_entry_is_named(names: list[str], data: st.DataObject) -> None:
    entries = chain(names)
    victim = data.draw(st.integers(0, len(entries) - 2))
    del entries[victim]
    verdict = verify_entries(entries)
    assert f"entries {victim + 1}..{victim + 1} are missing" in verdict.problems


@given(actions)
def test_a_removed_newest_entry_needs_the_head_written_down(names: list[str]) -> None:
    entries = chain(names)
    head = (entries[-1]["seq"], entries[-1]["hash"])
    shortened = entries[:-1]
    assert verify_entries(shortened).intact  # consistent, but shorter
    verdict = verify_entries(shortened, expect_head=head)
    assert verdict.problems == [f"entry {head[0]}, written down earlier, is missing"]
    assert verify_entries(entries, expect_head=head).intact


@given(actions)
def test_a_forged_chain_from_the_start_differs_from_the_head_written_down(
    names: list[str],
) -> None:
    entries = chain(names)
    forged = chain([*names[:-1], names[-1] + " (forged)"])
    head = (entries[-1]["seq"], entries[-1]["hash"])
    assert verify_entries(forged).intact
    assert not verify_entries(forged, expect_head=head).intact


def test_an_empty_trail_is_intact() -> None:
    verdict = verify_entries([])
    assert verdict.intact and verdict.head_hash == GENESIS
