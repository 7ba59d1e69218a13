"""A registry change travels over HTTP → database → outbox → Kafka as a CloudEvent."""

import json
import uuid

from shared.contracts.topics import PROJECTS
from tests.conftest import AuthHeaders, Kafka, registry_settings
from tests.integration.projects import builders
from tests.integration.projects.harness import running_registry
from tests.kafka_helpers import collect


async def test_project_registration_arrives_on_the_topic_as_a_cloudevent(
    kafka: Kafka, registry_pg_db: str, auth: AuthHeaders
) -> None:
    h = auth(user="pm-jan")
    settings = registry_settings(registry_pg_db, kafka.bootstrap_servers)
    async with running_registry(settings) as registry:
        client = registry.client
        lead = await builders.organisation(client, h)
        programme, _, goal = await builders.programme_with_goals(client, h)
        project = await builders.project(
            client, h, programme["id"], lead["id"], goal_ids=[goal["id"]]
        )

        [message] = await collect(
            kafka.bootstrap_servers,
            PROJECTS,
            done=lambda found: len(found) >= 1,
            keep=lambda m: m.key == project["id"].encode(),
        )

    headers = {k: v.decode() for k, v in message.headers}
    assert headers["ce_specversion"] == "1.0"
    assert headers["ce_type"] == "projects.project.registered.v1"
    assert headers["ce_source"] == "projects"
    assert headers["ce_subject"] == project["id"]
    assert headers["content-type"] == "application/json"
    uuid.UUID(headers["ce_id"])
    assert headers["ce_time"].startswith("20")
    assert headers["traceparent"].startswith("00-")
    data = json.loads(message.value or b"")
    assert data["code"] == project["code"]
    assert data["goal_ids"] == [goal["id"]]
    assert data["members"] == [{"organisation_id": lead["id"], "role": "lead"}]
    assert data["actor"] == "pm-jan"
