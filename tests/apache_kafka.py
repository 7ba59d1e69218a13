"""Apache Kafka for the tests, from Maven Central: assembled, formatted, started, faulted.

Production runs Apache Kafka; the embedded default runs Tansu. To prove the platform on
the broker ops run, `make test-kafka` starts real Kafka brokers here, on loopback, with
nothing but what Maven Central serves (ADR 0027):

- `assemble(version)` copies `org.apache.kafka:kafka_2.13` and `kafka-tools` with their
  dependencies (deploy/kafka/pom.xml) into a cache folder reused between runs,
  `~/.cache/koersmonitor/kafka/<version>/libs` (or under `$KOERS_KAFKA_CACHE`);
- `KafkaCluster` formats KRaft storage and starts one broker or three (each broker also a
  controller, or with controllers of their own) on free loopback ports, and gives each
  node the faults a cluster has: SIGKILL, a restart on the same storage, a graceful
  (controlled) stop, and a pause (SIGSTOP) that cuts it off for as long as it lasts;
- `consumer_groups()` runs Kafka's own consumer-group tool from the same jars and parses
  what it prints, so the platform's figures can be held against Kafka's.

As a command:

    python -m tests.apache_kafka assemble [--version V]...
    python -m tests.apache_kafka start --dir D [--version V] [--brokers 3] [--controllers 0]
    python -m tests.apache_kafka stop --dir D
    python -m tests.apache_kafka consumer-groups --dir D --group G
"""

import argparse
import asyncio
import base64
import concurrent.futures
import ctypes
import fcntl
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from shared.broker import free_port, port_open

REPO = Path(__file__).resolve().parents[1]
POM = REPO / "deploy" / "kafka" / "pom.xml"
COMPOSE = REPO / "docker-compose.yml"
# The newest 4.x that Maven Central serves here (checked December 2026). Raise it when a
# newer one is served, and run `make test-kafka`.
NEWEST = "4.4.0"
HOST = "127.0.0.1"
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
# A small heap and the client compiler only: brokers share two cores with the platform.
JVM_OPTIONS = (
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
)
STORAGE_TOOL = "kafka.tools.StorageTool"
GROUP_TOOL = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
_PR_SET_PDEATHSIG = 1

T = TypeVar("T")


def pinned_version() -> str:
    """The Apache Kafka version docker-compose.yml deploys: the one the tests must prove."""
    found = re.search(r"image:\s*apache/kafka:(\S+)", COMPOSE.read_text())
    if found is None:
        raise RuntimeError(f"{COMPOSE} pins no apache/kafka image")
    return found.group(1)


def versions() -> list[str]:
    """The versions `make test-kafka` runs on: compose's, then the newest 4.x."""
    return list(dict.fromkeys([pinned_version(), NEWEST]))


def cache_root() -> Path:
    configured = os.environ.get("KOERS_KAFKA_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "koersmonitor" / "kafka"


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    if not found or not Path(found).exists():
        raise RuntimeError("no java: Apache Kafka needs a JDK (17 or newer)")
    return found


def assemble(version: str) -> Path:
    """The folder of every jar Kafka `version` needs, fetched from Maven Central once.

    A lock keeps two runs from assembling the same version at once; the folder is
    renamed into place only when complete, so an interrupted run leaves no half copy.
    """
    target = cache_root() / version / "libs"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_dir():
            return target
        partial = Path(tempfile.mkdtemp(prefix="libs-", dir=target.parent))
        command = [
            "mvn",
            "-B",
            "-q",
            "-f",
            str(POM),
            "dependency:copy-dependencies",
            f"-Dkafka.version={version}",
            f"-Dkafka.line={version.split('.')[0]}",
            f"-DoutputDirectory={partial}",
            "-DincludeScope=runtime",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not any(partial.glob("kafka_2.13-*.jar")):
            shutil.rmtree(partial, ignore_errors=True)
            raise RuntimeError(f"assembling Kafka {version} failed:\n{done.stdout}{done.stderr}")
        partial.rename(target)
    return target


def classpath(version: str) -> str:
    return str(assemble(version) / "*")


def cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (Kafka's Uuid).

    Like Kafka's own `Uuid.randomUuid`, never one that starts with "-": the storage tool
    would read it as an option and refuse to format."""
    while (found := base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode())[0] == "-":
        continue
    return found


def run_coroutine(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to completion from sync code, even inside a running event loop (a
    test fixture's): in a thread of its own with a loop of its own."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _die_with_parent() -> None:
    """Runs in a broker's child process before exec: a test run that dies takes it along."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass
class Node:
    """One Kafka process: a broker, a controller, or both (combined mode)."""

    node_id: int
    roles: tuple[str, ...]
    directory: Path
    port: int | None  # the client listener; None for a controller only
    controller_port: int | None  # None for a broker only
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    pid: int | None = None

    @property
    def is_broker(self) -> bool:
        return "broker" in self.roles

    @property
    def config(self) -> Path:
        return self.directory / "server.properties"

    @property
    def log(self) -> Path:
        return self.directory / "server.log"

    @property
    def running(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self.pid is not None and _alive(self.pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _properties(values: Mapping[str, object]) -> str:
    return "".join(f"{k}={v}\n" for k, v in values.items())


LOG4J = """log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.log.LogCleaner=WARN
"""

LOG4J2 = """status = error
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.state.name = state.change.logger
logger.state.level = warn
"""


class KafkaCluster:
    """Brokers (and controllers) of one Apache Kafka version on free loopback ports.

    `controllers=0` makes every broker a controller too (combined mode, the fewest
    processes on two cores); `controllers=k` adds k controller-only nodes. Replication
    factor and `min.insync.replicas` default to what production uses on three brokers
    (3 and 2) and shrink to 1 on a single broker.
    """

    def __init__(
        self,
        version: str,
        directory: Path,
        brokers: int = 1,
        controllers: int = 0,
        settings: Mapping[str, object] | None = None,
        die_with_parent: bool = True,
    ) -> None:
        self.version = version
        self.directory = directory
        self.cluster_id = cluster_id()
        self.die_with_parent = die_with_parent
        self.replication_factor = min(3, brokers)
        self.min_insync_replicas = min(2, brokers)
        self.settings = dict(settings or {})
        self.nodes = self._plan(brokers, controllers)

    def _plan(self, brokers: int, controllers: int) -> list[Node]:
        nodes = []
        for i in range(controllers):
            nodes.append(self._node(100 + i, ("controller",), free_port(), None))
        combined = ("broker", "controller") if controllers == 0 else ("broker",)
        for i in range(1, brokers + 1):
            controller_port = free_port() if controllers == 0 else None
            nodes.append(self._node(i, combined, controller_port, free_port()))
        return nodes

    def _node(
        self, node_id: int, roles: tuple[str, ...], controller_port: int | None, port: int | None
    ) -> Node:
        return Node(node_id, roles, self.directory / f"node-{node_id}", port, controller_port)

    @property
    def brokers(self) -> list[Node]:
        return [n for n in self.nodes if n.is_broker]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"{HOST}:{n.port}" for n in self.brokers)

    def node(self, node_id: int) -> Node:
        return next(n for n in self.nodes if n.node_id == node_id)

    # --- configuration and storage ---------------------------------------------------

    def _voters(self) -> str:
        return ",".join(
            f"{n.node_id}@{HOST}:{n.controller_port}"
            for n in self.nodes
            if n.controller_port is not None
        )

    def _config(self, node: Node) -> dict[str, object]:
        listeners = []
        if node.port is not None:
            listeners.append(f"PLAINTEXT://{HOST}:{node.port}")
        if node.controller_port is not None:
            listeners.append(f"CONTROLLER://{HOST}:{node.controller_port}")
        config: dict[str, object] = {
            "process.roles": ",".join(node.roles),
            "node.id": node.node_id,
            "controller.quorum.voters": self._voters(),
            "listeners": ",".join(listeners),
            "controller.listener.names": "CONTROLLER",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": node.directory / "data",
            "auto.create.topics.enable": "false",
            "unclean.leader.election.enable": "false",
            "group.initial.rebalance.delay.ms": 0,
            "num.network.threads": 2,
            "num.io.threads": 4,
            "num.partitions": 1,
            "default.replication.factor": self.replication_factor,
            "min.insync.replicas": self.min_insync_replicas,
            "offsets.topic.replication.factor": self.replication_factor,
            "offsets.topic.num.partitions": 10,
            "transaction.state.log.replication.factor": self.replication_factor,
            "transaction.state.log.min.isr": self.min_insync_replicas,
            "transaction.state.log.num.partitions": 4,
        }
        if node.is_broker:
            config["advertised.listeners"] = f"PLAINTEXT://{HOST}:{node.port}"
            config["inter.broker.listener.name"] = "PLAINTEXT"
        return {**config, **self.settings}

    def _logging_options(self) -> list[str]:
        if self.version.split(".")[0] == "3":
            path = self.directory / "log4j.properties"
            path.write_text(LOG4J)
            return [f"-Dlog4j.configuration=file:{path}"]
        path = self.directory / "log4j2.properties"
        path.write_text(LOG4J2)
        return [f"-Dlog4j2.configurationFile={path}"]

    def _format(self) -> None:
        """Format every node's storage with the cluster's id, the nodes side by side."""
        formatting = []
        for node in self.nodes:
            node.directory.mkdir(parents=True, exist_ok=True)
            node.config.write_text(_properties(self._config(node)))
            command = [java(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp"]
            command += [classpath(self.version), STORAGE_TOOL, "format"]
            command += ["-t", self.cluster_id, "-c", str(node.config), "--ignore-formatted"]
            formatting.append(
                subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            )
        for node, process in zip(self.nodes, formatting, strict=True):
            out, _ = process.communicate(timeout=120)
            if process.returncode != 0:
                raise RuntimeError(f"formatting node {node.node_id} failed:\n{out.decode()}")

    # --- processes -------------------------------------------------------------------

    def start(self) -> "KafkaCluster":
        """Format, start every node, and return once every broker is registered."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._format()
        for node in self.nodes:
            self.launch(node.node_id)
        try:
            self.wait_until_ready()
        except Exception:
            self.stop()
            raise
        return self

    def launch(self, node_id: int) -> None:
        """Start the node's process on its existing storage (a restart after a stop)."""
        node = self.node(node_id)
        if node.running:
            raise RuntimeError(f"node {node_id} is running")
        command = [java(), *JVM_OPTIONS, *self._logging_options(), "-cp"]
        command += [classpath(self.version), "kafka.Kafka", str(node.config)]
        with node.log.open("ab") as out:
            node.process = subprocess.Popen(
                command,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=node.directory,
                preexec_fn=_die_with_parent if self.die_with_parent else None,
                start_new_session=not self.die_with_parent,
            )
        node.pid = node.process.pid

    def wait_until_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        """Until every broker's listener answers and the cluster's metadata lists them all."""
        deadline = time.monotonic() + timeout_s
        for node in self.brokers:
            while not port_open(HOST, node.port or 0):
                self._check_alive(node, deadline)
                time.sleep(0.1)
        wanted = {n.node_id for n in self.brokers}
        while run_coroutine(broker_ids(self.bootstrap_servers)) != wanted:
            for node in self.nodes:
                self._check_alive(node, deadline)
            time.sleep(0.2)

    def _check_alive(self, node: Node, deadline: float) -> None:
        if not node.running:
            raise RuntimeError(f"Kafka node {node.node_id} exited:\n{self.tail(node.node_id)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"Kafka node {node.node_id} not ready:\n{self.tail(node.node_id)}")

    def tail(self, node_id: int, lines: int = 40) -> str:
        log = self.node(node_id).log
        return (
            "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""
        )

    def kill(self, node_id: int) -> None:
        """SIGKILL: no controlled shutdown, no flush; leadership moves when it is missed."""
        self._signal(node_id, signal.SIGKILL)
        self._reap(self.node(node_id), STOP_TIMEOUT_S)

    def shut_down(self, node_id: int) -> None:
        """SIGTERM: a controlled shutdown (leadership handed over first), as ops restart one."""
        self._signal(node_id, signal.SIGTERM)
        node = self.node(node_id)
        if not self._reap(node, STOP_TIMEOUT_S):
            self.kill(node_id)

    def pause(self, node_id: int) -> None:
        """SIGSTOP: the node answers nothing, as if cut off the network, until `resume`."""
        self._signal(node_id, signal.SIGSTOP)

    def resume(self, node_id: int) -> None:
        self._signal(node_id, signal.SIGCONT)

    def _signal(self, node_id: int, sig: signal.Signals) -> None:
        node = self.node(node_id)
        if node.pid is None or not node.running:
            raise RuntimeError(f"node {node_id} is not running")
        os.kill(node.pid, sig)

    @staticmethod
    def _reap(node: Node, timeout_s: float) -> bool:
        """Wait for the node's process to exit; False if it is still there after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while node.running:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        node.process, node.pid = None, None
        return True

    def stop(self) -> None:
        """Every node SIGKILLed (paused ones too): the storage is thrown away with it."""
        for node in self.nodes:
            if node.pid is not None and node.running:
                with suppress(ProcessLookupError):
                    os.kill(node.pid, signal.SIGCONT)
                    os.kill(node.pid, signal.SIGKILL)
                self._reap(node, STOP_TIMEOUT_S)

    # --- the command line's state ----------------------------------------------------

    def save(self) -> None:
        state = {
            "version": self.version,
            "bootstrap_servers": self.bootstrap_servers,
            "nodes": [{"node_id": n.node_id, "pid": n.pid} for n in self.nodes],
        }
        (self.directory / "cluster.json").write_text(json.dumps(state, indent=2))


@contextmanager
def kafka_cluster(
    version: str,
    brokers: int = 1,
    controllers: int = 0,
    settings: Mapping[str, object] | None = None,
) -> Iterator[KafkaCluster]:
    """A started cluster in a throwaway folder, stopped and removed on the way out."""
    directory = Path(tempfile.mkdtemp(prefix=f"koers-kafka-{version}-"))
    cluster = KafkaCluster(version, directory, brokers, controllers, settings)
    try:
        yield cluster.start()
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


# --- what the cluster says about itself (its own protocol, from Python) -------------------


async def _admin(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    return admin


async def broker_ids(bootstrap: str) -> set[int]:
    """The brokers the cluster's metadata lists now (empty while none answers)."""
    try:
        admin = await asyncio.wait_for(_admin(bootstrap), 10)
    except Exception:
        return set()
    try:
        cluster = await admin.describe_cluster()
        return {int(b["node_id"]) for b in cluster["brokers"]}
    except Exception:
        return set()
    finally:
        await admin.close()


@dataclass(frozen=True, order=True)
class PartitionState:
    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


async def partitions(bootstrap: str, topics: Sequence[str]) -> list[PartitionState]:
    """Leader, replicas and in-sync replicas of every partition of `topics`."""
    admin = await _admin(bootstrap)
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return sorted(
        PartitionState(
            t["topic"],
            int(p["partition"]),
            int(p["leader"]),
            tuple(p["replicas"]),
            tuple(p["isr"]),
        )
        for t in described
        for p in t["partitions"]
    )


async def fully_replicated(bootstrap: str, topics: Sequence[str]) -> bool:
    """Every partition has a leader and every replica in sync (no under-replication)."""
    try:
        states = await partitions(bootstrap, topics)
    except Exception:
        return False
    return bool(states) and all(s.leader >= 0 and set(s.isr) == set(s.replicas) for s in states)


async def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """Each partition's log-end offset: how many records it holds (topics here never trim)."""
    # A group id, never joined (nothing is subscribed): a consumer without one cannot be
    # stopped cleanly (aiokafka 0.14 re-raises its own cancellation).
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id="koers-test-offsets", enable_auto_commit=False
    )
    await consumer.start()
    try:
        # The consumer's own metadata holds only topics asked about by name; ask the admin.
        tps = [TopicPartition(topic, s.partition) for s in await partitions(bootstrap, [topic])]
        ends = await consumer.end_offsets(tps)
        return {tp.partition: int(offset) for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def leader_of_busiest(bootstrap: str, topic: str, busiest: int = 3) -> int:
    """The broker that leads the most of `topic`'s `busiest` partitions with most records."""
    ends = await end_offsets(bootstrap, topic)
    top = sorted(ends, key=lambda p: ends[p], reverse=True)[:busiest]
    leaders = {s.partition: s.leader for s in await partitions(bootstrap, [topic])}
    chosen = [leaders[p] for p in top]
    return max(set(chosen), key=chosen.count)


# --- Kafka's own consumer-group tool ------------------------------------------------------


@dataclass(frozen=True)
class GroupOffset:
    """One row of `kafka-consumer-groups --describe`: None where the tool prints '-'."""

    group: str
    topic: str
    partition: int
    current_offset: int | None
    log_end_offset: int | None
    lag: int | None


def _number(text: str) -> int | None:
    return None if text == "-" else int(text)


def parse_consumer_groups(output: str) -> list[GroupOffset]:
    """The rows of every table `--describe` printed, whatever else it printed around them
    (warnings, 'has no active members'). Columns are found by their headings."""
    rows: list[GroupOffset] = []
    columns: list[str] = []
    for line in output.splitlines():
        cells = line.split()
        if not cells:
            columns = []
        elif cells[0] == "GROUP" and "PARTITION" in cells:
            columns = cells
        elif columns and len(cells) >= len(columns) - 3 and cells[0] != "Consumer":
            row = dict(zip(columns, cells, strict=False))
            rows.append(
                GroupOffset(
                    row["GROUP"],
                    row["TOPIC"],
                    int(row["PARTITION"]),
                    _number(row["CURRENT-OFFSET"]),
                    _number(row["LOG-END-OFFSET"]),
                    _number(row["LAG"]),
                )
            )
    return rows


def consumer_groups(version: str, bootstrap: str, group: str) -> list[GroupOffset]:
    """What Kafka's own tool (from the same jars) says of `group`'s offsets and lag."""
    command = [java(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath(version)]
    command += [GROUP_TOOL, "--bootstrap-server", bootstrap, "--describe", "--group", group]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"kafka-consumer-groups failed:\n{done.stdout}{done.stderr}")
    return parse_consumer_groups(done.stdout)


# --- the command line ---------------------------------------------------------------------


def _stop_saved(directory: Path) -> None:
    state = json.loads((directory / "cluster.json").read_text())
    for node in state["nodes"]:
        with suppress(ProcessLookupError, TypeError):
            os.kill(node["pid"], signal.SIGCONT)
            os.kill(node["pid"], signal.SIGKILL)
    print(f"stopped {len(state['nodes'])} Kafka nodes in {directory}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.apache_kafka", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    assemble_cmd = sub.add_parser("assemble", help="fetch Kafka's jars into the cache")
    assemble_cmd.add_argument("--version", action="append", help="default: compose's and newest")
    start = sub.add_parser("start", help="format and start a cluster in the background")
    start.add_argument("--dir", type=Path, required=True)
    start.add_argument("--version", default=pinned_version())
    start.add_argument("--brokers", type=int, default=1)
    start.add_argument("--controllers", type=int, default=0, help="0: brokers are controllers")
    stop = sub.add_parser("stop", help="stop the cluster started in --dir")
    stop.add_argument("--dir", type=Path, required=True)
    groups = sub.add_parser("consumer-groups", help="Kafka's own view of a group's lag")
    groups.add_argument("--dir", type=Path, required=True)
    groups.add_argument("--group", required=True)
    args = parser.parse_args(argv)
    if args.command == "assemble":
        for version in args.version or versions():
            print(f"{version}: {assemble(version)}")
    elif args.command == "start":
        cluster = KafkaCluster(
            args.version, args.dir, args.brokers, args.controllers, die_with_parent=False
        )
        cluster.start().save()
        print(cluster.bootstrap_servers)
    elif args.command == "stop":
        _stop_saved(args.dir)
    else:
        state = json.loads((args.dir / "cluster.json").read_text())
        for row in consumer_groups(state["version"], state["bootstrap_servers"], args.group):
            print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
