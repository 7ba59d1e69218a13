"""Every event contract's JSON schema is pinned, so a change to one shows up in review.

Additive changes within a version are fine: regenerate the snapshot with
KOERS_UPDATE_SNAPSHOTS=1 and commit it. Removing or retyping a field needs a
new event type (`...v2`).
"""

import json
import os
from pathlib import Path

import pytest

from shared.contracts.base import registered_types
from shared.contracts.topics import dlq

SNAPSHOTS = Path(__file__).parent / "snapshots"
TYPES = sorted(registered_types())


@pytest.mark.parametrize("event_type", TYPES)
def test_event_schema_matches_its_snapshot(event_type: str) -> None:
    schema = registered_types()[event_type].model_json_schema()
    path = SNAPSHOTS / f"{event_type}.json"
    rendered = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    if os.environ.get("KOERS_UPDATE_SNAPSHOTS") == "1":
        path.write_text(rendered)
    assert path.exists(), f"no snapshot for {event_type}; run with KOERS_UPDATE_SNAPSHOTS=1"
    assert json.loads(path.read_text()) == schema


def test_every_snapshot_belongs_to_a_live_event_type() -> None:
    assert sorted(p.stem for p in SNAPSHOTS.glob("*.json")) == TYPES


@pytest.mark.parametrize("event_type", TYPES)
def test_event_types_are_versioned_and_topic_bound(event_type: str) -> None:
    contract = registered_types()[event_type]
    service = event_type.split(".")[0]
    assert event_type.rsplit(".", 1)[1].startswith("v")
    # Its own service's topic, or (a delivery that failed for good) that topic's dead letters.
    assert contract.topic in (f"{service}.events.v1", dlq(f"{service}.events.v1"))
