"""The `python -m services.<name> api|worker|migrate` entry point every service shares."""

import argparse
import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import uvicorn
from fastapi import FastAPI

from shared.config import ServiceSettings
from shared.runtime import tune_garbage_collector
from shared.telemetry import configure_logging, configure_tracing

S = TypeVar("S", bound=ServiceSettings)


def service_main(
    settings_class: type[S],
    create_app: Callable[[S], FastAPI],
    run_worker: Callable[[S], Coroutine[Any, Any, None]],
    migrate: Callable[[S], None],
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(
        prog=f"python -m services.{settings_class.model_fields['service_name'].default}"
    )
    parser.add_argument("command", choices=["api", "worker", "migrate"])
    args = parser.parse_args(argv)
    settings = settings_class()  # filled from the environment
    configure_logging(settings.log_level, settings.service_name)
    configure_tracing(settings.service_name)
    if args.command == "migrate":
        migrate(settings)
    elif args.command == "worker":
        tune_garbage_collector()
        asyncio.run(run_worker(settings))
    else:
        app = create_app(settings)
        tune_garbage_collector()
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            proxy_headers=True,
        )
