"""The registry's unit of work: its repositories, outbox and inbox in one transaction."""

from services.projects.repository import (
    OrganisationRepository,
    ProgrammeRepository,
    ProjectRepository,
)
from shared.uow import SqlUnitOfWork


class RegistryUnitOfWork(SqlUnitOfWork):
    organisations: OrganisationRepository
    programmes: ProgrammeRepository
    projects: ProjectRepository

    def _start(self) -> None:
        self.organisations = OrganisationRepository(self.session)
        self.programmes = ProgrammeRepository(self.session)
        self.projects = ProjectRepository(self.session)
