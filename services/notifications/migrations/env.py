"""Alembic environment of the notification service: its tables and the outbox and inbox."""

from services.notifications.models import NotificationsBase
from shared.db import PlatformBase
from shared.migrations import run_env

run_env([PlatformBase.metadata, NotificationsBase.metadata])
