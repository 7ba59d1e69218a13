"""The notification service's unit of work: repositories, outbox and inbox in one transaction."""

from services.notifications.repository import (
    NotificationRepository,
    ReplicaRepository,
    RuleRepository,
    SubscriberRepository,
)
from shared.uow import SqlUnitOfWork


class NotificationsUnitOfWork(SqlUnitOfWork):
    rules: RuleRepository
    subscribers: SubscriberRepository
    notifications: NotificationRepository
    replica: ReplicaRepository

    def _start(self) -> None:
        self.rules = RuleRepository(self.session)
        self.subscribers = SubscriberRepository(self.session)
        self.notifications = NotificationRepository(self.session)
        self.replica = ReplicaRepository(self.session)

    def writer(self) -> "NotificationsUnitOfWork":
        """A unit of work like this one that writes: for a read that must first create what
        it reads (a staff user's subscriber, on their first GET)."""
        return NotificationsUnitOfWork(self._sessions, self.source, self._on_commit, write=True)
