"""The flows run on the embedded broker (`make test`) and again on one Apache Kafka broker of
each version tested (`make test-kafka`, marked `apache_kafka`), with the producer set as
deployed there (idempotent, lz4): the same tests, the broker a parameter of `kafka`."""

from collections.abc import Iterator

import pytest

from tests.conftest import Kafka
from tests.infra import EMBEDDED, broker_params, broker_under_test, clients_for

# Flows that stay on the embedded broker, and why.
EMBEDDED_ONLY = {
    # The projection's arithmetic under interleaved restructuring: the broker only
    # carries the events, and one run takes over three minutes.
    "test_totals_under_interleaving",
}


# Flows of Apache Kafka's own tools: on Apache Kafka alone.
APACHE_KAFKA_ONLY = {"test_kafka_tools"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__.rpartition(".")[2]
    if "kafka" not in metafunc.fixturenames or module in EMBEDDED_ONLY:
        return
    brokers = broker_params()
    if module in APACHE_KAFKA_ONLY:
        brokers = [b for b in brokers if b != EMBEDDED]
    metafunc.parametrize("kafka", brokers, indirect=True, scope="session")


@pytest.fixture(autouse=True)
def clients_as_deployed(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test on Apache Kafka runs with the producer set as deployed there; set per test,
    so nothing of it outlives the test (the broker itself lives for the session)."""
    callspec = getattr(request.node, "callspec", None)
    kind = callspec.params.get("kafka", EMBEDDED) if callspec else EMBEDDED
    with clients_for(kind):
        yield


@pytest.fixture(scope="session")
def kafka(request: pytest.FixtureRequest, kafka: Kafka) -> Iterator[Kafka]:
    """The session's embedded broker, or a fresh Apache Kafka broker of the param's version
    (one at a time: pytest finishes one param's before it starts the next)."""
    kind = getattr(request, "param", EMBEDDED)
    if kind == EMBEDDED:
        yield kafka
        return
    with broker_under_test(kind) as broker:
        yield Kafka(broker.bootstrap_servers, None)
