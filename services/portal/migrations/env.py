"""Alembic environment of the staff portal: its users and sessions (and the platform tables)."""

from services.portal.models import PortalBase
from shared.db import PlatformBase
from shared.migrations import run_env

run_env([PlatformBase.metadata, PortalBase.metadata])
