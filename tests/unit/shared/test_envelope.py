import json
import uuid

import pytest

from shared.contracts import projects as events
from shared.contracts.base import event_type_for
from shared.contracts.envelope import CloudEvent, EnvelopeError


def _organisation_event() -> events.OrganisationRegistered:
    return events.OrganisationRegistered(
        organisation_id=uuid.uuid4(),
        name="Hanzehogeschool",
        kind="knowledge_institution",
        kvk_number=None,
        actor="t",
    )


def test_event_round_trips_through_kafka_binary_mode() -> None:
    event = _organisation_event()
    envelope = CloudEvent.wrap(
        event, source="projects", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    )
    headers = dict(envelope.headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_type"] == b"projects.organisation.registered.v1"
    assert headers["ce_subject"] == str(event.organisation_id).encode()
    assert headers["content-type"] == b"application/json"
    assert "traceparent" in headers

    back = CloudEvent.from_kafka(envelope.headers(), envelope.value())
    assert back == envelope
    decoded = event_type_for(back.type)
    assert decoded is not None
    assert decoded.model_validate(back.data) == event


def test_message_without_cloudevents_headers_is_refused() -> None:
    with pytest.raises(EnvelopeError, match="ce_id"):
        CloudEvent.from_kafka([("ce_type", b"x")], b"{}")


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe", None])
def test_message_whose_body_is_not_a_json_object_is_refused(body: bytes | None) -> None:
    envelope = CloudEvent.wrap(_organisation_event(), source="projects")
    with pytest.raises(EnvelopeError):
        CloudEvent.from_kafka(envelope.headers(), body)


def test_events_are_frozen_and_keyed_by_their_aggregate() -> None:
    event = _organisation_event()
    with pytest.raises(ValueError, match="frozen"):
        event.name = "other"  # type: ignore[misc]
    assert event.key == str(event.organisation_id)
    assert json.loads(CloudEvent.wrap(event, "projects").value())["name"] == "Hanzehogeschool"
