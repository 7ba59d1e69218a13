"""The registry as deployed: its API over ASGI and its worker relaying the outbox."""

from contextlib import AbstractAsyncContextManager

from services.projects.config import ProjectsSettings
from services.projects.main import create_app, run_worker
from tests.running import RunningService, running_service

RunningRegistry = RunningService


def running_registry(settings: ProjectsSettings) -> AbstractAsyncContextManager[RunningService]:
    return running_service(create_app(settings), lambda stop: run_worker(settings, stop))
