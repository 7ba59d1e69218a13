"""The portal's unit of work: its staff users and web sessions in one transaction."""

from services.portal.repository import UserRepository, WebSessionRepository
from shared.uow import SqlUnitOfWork


class PortalUnitOfWork(SqlUnitOfWork):
    users: UserRepository
    sessions: WebSessionRepository

    def _start(self) -> None:
        self.users = UserRepository(self.session)
        self.sessions = WebSessionRepository(self.session)
