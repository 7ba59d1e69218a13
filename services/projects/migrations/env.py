"""Alembic environment of the registry: its own tables and the platform's (outbox, inbox)."""

from services.projects.models import RegistryBase
from shared.db import PlatformBase
from shared.migrations import run_env

run_env([PlatformBase.metadata, RegistryBase.metadata])
