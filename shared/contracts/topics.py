"""One topic per producing service; partitions spread a service's consumers.

Keys are aggregate ids (the project id for project, report and funding events),
so the order of one project's events holds on every partition count.
"""

from dataclasses import dataclass

PROJECTS = "projects.events.v1"
KPI = "kpi.events.v1"
FUNDING = "funding.events.v1"
NOTIFICATIONS = "notifications.events.v1"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int


def dlq(topic: str) -> str:
    """The dead-letter topic of `topic`: where undecodable or failing messages go."""
    return f"{topic}.dlq"


EVENT_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(PROJECTS, 6),
    TopicSpec(KPI, 12),
    TopicSpec(FUNDING, 6),
    TopicSpec(NOTIFICATIONS, 3),
)

ALL_TOPICS: tuple[TopicSpec, ...] = EVENT_TOPICS + tuple(
    TopicSpec(dlq(t.name), 1) for t in EVENT_TOPICS
)
