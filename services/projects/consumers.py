"""The registry's subscriptions: none. It is the source of the programme's structure and
learns of nothing from other services; its worker only relays the outbox to
`projects.events.v1`. Declared all the same, as every service declares its own, so that
`main.py` and `services/platform.py` read the registry as they read the others."""

from services.projects.config import ProjectsSettings
from services.projects.uow import RegistryUnitOfWork
from shared.messaging.subscriptions import Subscription

SUBSCRIPTIONS: tuple[Subscription[ProjectsSettings, RegistryUnitOfWork], ...] = ()
