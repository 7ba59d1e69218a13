"""The platform's command line: `python -m services run|token|republish|create-topics|ops`."""

import argparse
import asyncio
import os
import sys
from pathlib import Path

from services import embedded
from services.platform import SERVICES
from shared.auth import Role, TokenService
from shared.config import TopicSettings
from shared.contracts.topics import ALL_TOPICS
from shared.messaging.kafka import TopicLayout, create_topics


def _ops_parser(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    ops = sub.add_parser("ops", help="backlog, consumer lag, dead letters, readiness")
    commands = ops.add_subparsers(dest="ops_command", required=True)
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092")
    backlog = commands.add_parser("backlog", help="unpublished outbox rows per service")
    backlog.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("KOERS_DATA_DIR", ".data"))
    )
    lag = commands.add_parser("lag", help="consumer groups behind their topics")
    lag.add_argument("--bootstrap-servers", default=bootstrap)
    lag.add_argument("--group-prefix", default=os.environ.get("KOERS_CONSUMER_GROUP_PREFIX", ""))
    dlq = commands.add_parser("dlq", help="list dead letters, or replay them to their topic")
    dlq.add_argument("dlq_command", choices=["list", "replay"])
    dlq.add_argument("--bootstrap-servers", default=bootstrap)
    dlq.add_argument("--topic", help="one dead-letter topic (default: all)")
    dlq.add_argument("--offset", type=int, action="append", help="only these offsets")
    audit = commands.add_parser("audit", help="verify or show the hash-chained audit trail")
    audit.add_argument("audit_command", choices=["verify", "show"])
    audit.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("KOERS_DATA_DIR", ".data"))
    )
    audit.add_argument("--service", action="append", help="only this service (default: all)")
    audit.add_argument(
        "--expect-head",
        action="append",
        help="service=SEQ:HASH from an earlier verify: also catches removed newest entries",
    )
    audit.add_argument("--limit", type=int, default=20, help="show: the newest N entries")
    ready = commands.add_parser("readiness", help="/readyz of every service")
    ready.add_argument("--url", action="append", help="name=http://host:port (default: local)")


def _create_topics(bootstrap_servers: str | None) -> int:
    """The topic job: every topic laid out as the KAFKA_* settings say (existing ones kept)."""
    settings = TopicSettings()
    layout = TopicLayout.of(settings)
    asyncio.run(create_topics(bootstrap_servers or settings.bootstrap_servers, ALL_TOPICS, layout))
    isr = layout.min_insync_replicas or "broker default"
    for t in ALL_TOPICS:
        print(
            f"{t.name}: {layout.partitions_of(t)} partitions, "
            f"replication factor {layout.replication_factor}, min.insync.replicas {isr}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services", description="Koersmonitor")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the whole platform on the embedded default")
    run.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("KOERS_DATA_DIR", ".data"))
    )
    run.add_argument(
        "--broker-port", type=int, default=int(os.environ.get("KOERS_BROKER_PORT", "9092"))
    )
    run.add_argument(
        "--no-seed", action="store_true", help="do not seed the Drenthe demo programme"
    )
    for spec in SERVICES:
        run.add_argument(f"--{spec.name}-port", type=int, default=spec.default_port)

    token = sub.add_parser(
        "token", help="mint a staff token for the embedded default's signing key"
    )
    token.add_argument("--user", default="admin")
    token.add_argument("--role", action="append", choices=[r.value for r in Role], default=None)
    token.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("KOERS_DATA_DIR", ".data"))
    )

    republish = sub.add_parser(
        "republish",
        help="after the broker lost its data: send every outbox row again",
    )
    republish.add_argument("--service", choices=[s.name for s in SERVICES], action="append")
    republish.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("KOERS_DATA_DIR", ".data"))
    )

    topics = sub.add_parser(
        "create-topics",
        help="create every topic with its partition count, replication factor and "
        "min.insync.replicas (KAFKA_* settings: shared/config.py TopicSettings)",
    )
    topics.add_argument(
        "--bootstrap-servers", default=None, help="default: KAFKA_BOOTSTRAP_SERVERS"
    )

    _ops_parser(sub)
    args = parser.parse_args(argv)
    if args.command == "ops":
        from services import ops

        return ops.main(args)
    if args.command == "create-topics":
        return _create_topics(args.bootstrap_servers)
    if args.command == "run":
        ports = {s.name: getattr(args, f"{s.name}_port") for s in SERVICES}
        options = embedded.EmbeddedOptions(
            data_dir=args.data_dir, broker_port=args.broker_port, ports=ports, seed=not args.no_seed
        )
        return embedded.run(options)
    if args.command == "token":
        roles = [Role(r) for r in (args.role or ["admin"])]
        print(TokenService(embedded.jwt_secret(args.data_dir)).mint(args.user, roles))
        return 0
    for spec in SERVICES:
        if args.service and spec.name not in args.service:
            continue
        url = os.environ.get(f"{spec.env_prefix}DATABASE_URL") or embedded.database_url(
            spec, args.data_dir
        )
        count = asyncio.run(embedded.republish_all(url))
        print(f"{spec.name}: {count} events will be published again")
    return 0


if __name__ == "__main__":
    sys.exit(main())
