"""Alembic environment of the funding service: its own tables and the platform's (outbox, inbox)."""

from services.funding.models import FundingBase
from shared.db import PlatformBase
from shared.migrations import run_env

run_env([PlatformBase.metadata, FundingBase.metadata])
