"""Registry facts as real `projects.events.v1` events, for feeding a service's replica in tests."""

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.contracts import projects as registry
from shared.contracts.base import Event
from shared.uow import SqlUnitOfWork

Handler = Callable[[Any, Any], Awaitable[None]]


@dataclass
class Registry:
    """Registry facts as events, fed to the KPI service's replica handlers."""

    programme: uuid.UUID = field(default_factory=uuid.uuid4)
    goals: dict[str, uuid.UUID] = field(default_factory=dict)
    organisations: dict[str, uuid.UUID] = field(default_factory=dict)
    projects: dict[str, uuid.UUID] = field(default_factory=dict)
    pending: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.pending.append(
            registry.ProgrammeCreated(
                programme_id=self.programme,
                name=f"Koers {self.programme.hex[:6]}",
                period_start=2016,
                period_end=2019,
                region="Drenthe",
                owner_organisation_id=None,
                actor="t",
            )
        )

    def goal(self, code: str, parent: str | None = None, kind: str = "goal") -> uuid.UUID:
        goal_id = self.goals.setdefault(code, uuid.uuid4())
        self.pending.append(
            registry.GoalNodeAdded(
                goal_id=goal_id,
                programme_id=self.programme,
                parent_id=self.goals[parent] if parent else None,
                kind=kind,
                code=code,
                name=code,
                description="",
                actor="t",
            )
        )
        return goal_id

    def organisation(self, name: str) -> uuid.UUID:
        org = self.organisations.setdefault(name, uuid.uuid4())
        self.pending.append(
            registry.OrganisationRegistered(
                organisation_id=org, name=name, kind="company", kvk_number=None, actor="t"
            )
        )
        return org

    def project(
        self,
        code: str,
        lead: str,
        goals: list[str],
        partners: tuple[str, ...] = (),
        version: int = 1,
        municipality: str | None = None,
        start: date = date(2016, 1, 1),
        end: date = date(2019, 12, 31),
    ) -> uuid.UUID:
        project_id = self.projects.setdefault(code, uuid.uuid4())
        members = [registry.ProjectMember(organisation_id=self.organisations[lead], role="lead")]
        members += [
            registry.ProjectMember(organisation_id=self.organisations[p], role="partner")
            for p in partners
        ]
        self.pending.append(
            registry.ProjectRegistered(
                project_id=project_id,
                programme_id=self.programme,
                code=code,
                name=code,
                description="",
                lead_organisation_id=self.organisations[lead],
                members=tuple(members),
                goal_ids=tuple(self.goals[g] for g in goals),
                start_date=start,
                end_date=end,
                municipality=municipality,
                status="running",
                version=version,
                actor="t",
            )
        )
        return project_id

    async def deliver(
        self, handlers: Mapping[str, Handler], unit_of_work: Callable[[], SqlUnitOfWork]
    ) -> None:
        """Apply the pending events with a service's own replica handlers, one transaction each."""
        for event in self.pending:
            handler = handlers.get(event.type)
            if handler is None:
                continue
            async with unit_of_work() as uow:
                await handler(event, uow)
                await uow.commit()
        self.pending.clear()
