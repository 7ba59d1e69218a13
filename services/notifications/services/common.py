"""What the notification service's use cases share: who acts for the system, and the named
locks (ADR 24) under which occurrences, subscribers and rule settings change."""

import uuid

from services.notifications.domain.rules import Occurrence

SYSTEM = "system"

# Named locks (ADR 24): on PostgreSQL each rule below reads, then writes, under its lock; on
# SQLite a writing unit of work holds the one write lock from its first read.
RULE_SETTINGS = "notifications.rule-settings"  # one settings row per rule


def occurrence_lock(occurrence: Occurrence) -> str:
    """An occurrence is raised once, by whichever tick or event gets here first."""
    return f"notifications.occurrence:{occurrence.rule}:{occurrence.key}"


def username_lock(username: str) -> str:
    """One subscriber per username (a staff user's first requests may arrive together)."""
    return f"notifications.username:{username}"


def subscriber_lock(subscriber_id: uuid.UUID) -> str:
    """A subscriber's subscriptions are replaced whole, and its digest sent once a day."""
    return f"notifications.subscriber:{subscriber_id}"
