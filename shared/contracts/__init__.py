"""Contracts between services: the envelope, the topics and the event models.

Importing this package registers every event type, so any consumer can decode
any topic's messages by their CloudEvents type.
"""

from shared.contracts import funding as funding
from shared.contracts import kpi as kpi
from shared.contracts import notifications as notifications
from shared.contracts import projects as projects

__all__ = ["funding", "kpi", "notifications", "projects"]
