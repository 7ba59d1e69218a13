"""The notification service's use cases: raising notifications once, subscribers and their
subscriptions, reminders, the in-app feed, rule settings and the delivery log.

Event handlers, the scheduler and HTTP routes call these; rules live in `domain`. One
module per use case; the names below are what the callers use.
"""

from services.notifications.services.common import (
    SYSTEM,
    occurrence_lock,
    subscriber_lock,
    username_lock,
)
from services.notifications.services.delivery_log import attempts, deliveries
from services.notifications.services.feed import feed, mark_read, unread_count
from services.notifications.services.raising import raise_notification, raise_notifications
from services.notifications.services.reminders import send_reminders
from services.notifications.services.rules import (
    ensure_rule_settings,
    list_rules,
    rule_params,
    update_rule,
)
from services.notifications.services.subscribers import (
    create_subscriber,
    list_subscribers,
    own_subscriber,
    set_own_subscriptions,
    set_subscriptions,
)

__all__ = [
    "SYSTEM",
    "attempts",
    "create_subscriber",
    "deliveries",
    "ensure_rule_settings",
    "feed",
    "list_rules",
    "list_subscribers",
    "mark_read",
    "occurrence_lock",
    "own_subscriber",
    "raise_notification",
    "raise_notifications",
    "rule_params",
    "send_reminders",
    "set_own_subscriptions",
    "set_subscriptions",
    "subscriber_lock",
    "unread_count",
    "update_rule",
    "username_lock",
]
