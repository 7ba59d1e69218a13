"""The consumer's per-message rules on a real database: inbox, retries, dead letters."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from shared.contracts.envelope import CloudEvent
from shared.contracts.topics import PROJECTS
from shared.messaging.consumer import MessageProcessor, ReceivedMessage
from tests.integration.shared import recorder
from tests.kafka_helpers import ListPublisher


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    sessions = await recorder.recorder_sessions(f"sqlite+aiosqlite:///{tmp_path / 'recorder.db'}")
    yield sessions
    bind = sessions.kw["bind"]
    await bind.dispose()


def _processor(
    sessions: async_sessionmaker[AsyncSession], dead: ListPublisher
) -> MessageProcessor[recorder.RecorderUnitOfWork]:
    return MessageProcessor(
        "recorder",
        recorder.HANDLERS,
        lambda: recorder.RecorderUnitOfWork(sessions, source="recorder"),
        dead,
        max_attempts=3,
        retry_backoff_s=0.001,
    )


def _message(envelope: CloudEvent, offset: int = 0) -> ReceivedMessage:
    return ReceivedMessage(
        PROJECTS, 0, offset, envelope.subject.encode(), envelope.value(), tuple(envelope.headers())
    )


async def test_the_same_event_twice_has_one_effect(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event = recorder.organisation_registered()
    envelope = CloudEvent.wrap(event, source="projects")
    processor = _processor(sessions, ListPublisher())
    assert await processor.process(_message(envelope, 0)) == "applied"
    assert await processor.process(_message(envelope, 1)) == "duplicate"
    assert await recorder.effects_for(sessions, event.organisation_id) == 1


async def test_undecodable_message_goes_to_the_dead_letter_topic_with_the_error(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead = ListPublisher()
    poison = ReceivedMessage(PROJECTS, 2, 7, b"k", b"\x00garbage", (("ce_id", b"x"),))
    assert await _processor(sessions, dead).process(poison) == "dead-lettered"
    [letter] = dead.sent
    headers = dict(letter.headers)
    assert letter.topic == "projects.events.v1.dlq"
    assert letter.value == b"\x00garbage"
    assert b"missing CloudEvents headers" in headers["dlq_error"]
    assert headers["dlq_original_partition"] == b"2"
    assert headers["dlq_original_offset"] == b"7"


async def test_unknown_event_type_is_dead_lettered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead = ListPublisher()
    envelope = CloudEvent(source="x", type="projects.project.teleported.v1", subject="s", data={})
    assert await _processor(sessions, dead).process(_message(envelope)) == "dead-lettered"
    assert b"unknown event type" in dict(dead.sent[0].headers)["dlq_error"]


async def test_data_not_matching_its_contract_is_dead_lettered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead = ListPublisher()
    envelope = CloudEvent(
        source="x", type="projects.organisation.registered.v1", subject="s", data={"name": 3}
    )
    assert await _processor(sessions, dead).process(_message(envelope)) == "dead-lettered"
    assert b"does not match" in dict(dead.sent[0].headers)["dlq_error"]


async def test_handler_failing_every_time_is_dead_lettered_after_bounded_retries(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead = ListPublisher()
    event = recorder.organisation_registered(name=recorder.FAIL_NAME)
    result = await _processor(sessions, dead).process(
        _message(CloudEvent.wrap(event, source="projects"))
    )
    assert result == "dead-lettered"
    assert dict(dead.sent[0].headers)["dlq_attempts"] == b"3"
    assert await recorder.effects_for(sessions, event.organisation_id) == 0


async def test_event_types_without_a_handler_are_skipped_not_dead_lettered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead = ListPublisher()
    envelope = CloudEvent(
        source="projects",
        type="projects.organisation.updated.v1",
        subject="s",
        data=recorder.organisation_registered().model_dump(mode="json"),
    )
    assert await _processor(sessions, dead).process(_message(envelope)) == "skipped"
    assert dead.sent == []


async def test_a_batch_applies_once_each_and_isolates_poison_and_failures(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead = ListPublisher()
    processor = MessageProcessor(
        "recorder-batch",
        recorder.HANDLERS,
        lambda: recorder.RecorderUnitOfWork(sessions, source="recorder"),
        dead,
        max_attempts=2,
        retry_backoff_s=0.001,
        batch_handler=recorder.apply_all,
    )
    good = [recorder.organisation_registered() for _ in range(3)]
    failing = recorder.organisation_registered(name=recorder.FAIL_NAME)
    envelopes = [CloudEvent.wrap(e, source="projects") for e in good]
    batch = [
        _message(envelopes[0], 0),
        _message(envelopes[0], 1),  # redelivered within the batch
        ReceivedMessage(PROJECTS, 0, 2, b"k", b"junk", ()),
        _message(envelopes[1], 3),
        _message(CloudEvent.wrap(failing, source="projects"), 4),
        _message(envelopes[2], 5),
    ]
    await processor.process_many(batch)
    assert [await recorder.effects_for(sessions, e.organisation_id) for e in good] == [1, 1, 1]
    assert await recorder.effects_for(sessions, failing.organisation_id) == 0
    assert sorted(dict(letter.headers)["dlq_original_offset"] for letter in dead.sent) == [
        b"2",
        b"4",
    ]

    await processor.process_many(batch[:2])  # the whole batch again: nothing changes
    assert await recorder.effects_for(sessions, good[0].organisation_id) == 1
