"""The ops commands against the real broker: dead letters listed and replayed to the topic
they came from (and applied there), consumer lag, readiness."""

import secrets
import uuid

from services import ops
from services.kpi.uow import KpiUnitOfWork
from shared.contracts import projects as registry
from shared.contracts.envelope import CloudEvent
from shared.contracts.topics import PROJECTS, dlq
from shared.messaging.kafka import OutgoingMessage
from tests.conftest import Kafka
from tests.integration.kpi.harness import kpi_settings, running_kpi
from tests.kafka_helpers import eventually, produce


async def test_a_dead_letter_is_listed_replayed_and_then_applied(
    kafka: Kafka, kpi_pg_db: str
) -> None:
    organisation = uuid.uuid4()
    event = registry.OrganisationRegistered(
        organisation_id=organisation,
        name=f"Replayed {organisation.hex[:6]}",
        kind="company",
        kvk_number=None,
        actor="t",
    )
    envelope = CloudEvent.wrap(event, source="test")
    parked = OutgoingMessage(
        dlq(PROJECTS),
        event.key.encode(),
        envelope.value(),
        [
            *envelope.headers(),
            ("dlq_error", b"OperationalError: database was away"),
            ("dlq_original_topic", PROJECTS.encode()),
            ("dlq_consumer", b"kpi.registry-replica"),
        ],
    )
    await produce(kafka.bootstrap_servers, [parked])
    letters = await ops.dead_letters(kafka.bootstrap_servers, [dlq(PROJECTS)], idle_s=1.0)
    mine = [d for d in letters if str(organisation).encode() in (d.value or b"")]
    assert len(mine) == 1 and "database was away" in mine[0].describe()

    group = f"test-{secrets.token_hex(3)}."
    settings = kpi_settings(kpi_pg_db, kafka.bootstrap_servers, consumer_group_prefix=group)
    async with running_kpi(settings) as kpi:
        assert await ops.replay(kafka.bootstrap_servers, mine) == 1

        async def replica_has_it() -> bool:
            async with KpiUnitOfWork(kpi.runtime.sessions, "test") as uow:
                return await uow.replica.organisation(organisation) is not None

        await eventually(replica_has_it, timeout_s=40)
        replica: list[str] = []

        async def offsets_committed() -> bool:
            # The offset is committed just after the transaction that applied the event.
            lines = await ops.lag(kafka.bootstrap_servers, group)
            replica[:] = [
                line for line in lines if line.startswith(f"{group}kpi.registry-replica ")
            ]
            return bool(replica) and all("projects.events.v1[" in line for line in replica)

        await eventually(offsets_committed, timeout_s=30)
        ready, report = await ops.readiness({"unreachable": "http://127.0.0.1:9"})
        assert not ready and "unreachable" in report[0]
