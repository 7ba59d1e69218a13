"""The aggregation projection: totals along the goal tree, kept up to date event by event.

For every (project, indicator) an event touches, the project's series is computed
afresh from its cell versions (`domain.series`), compared with the series stored
before, and the difference is added — atomically, in SQL — to the total of every node
the project counts in: each of its goals, their ancestors and the programme, each
node once, so a project linked to several goals counts in full in each goal and
once in any total above them. Two views are kept: `current` (the latest version not
returned) and `approved` (the latest approved version).
"""

from services.kpi.projection.events import apply_kpi_events
from services.kpi.projection.progress import realised_value
from services.kpi.projection.totals import closures, reattribute, refresh
from services.kpi.projection.views import (
    APPROVED,
    CURRENT,
    GOAL_TREE,
    Options,
    chosen_versions,
)

__all__ = [
    "APPROVED",
    "CURRENT",
    "GOAL_TREE",
    "Options",
    "apply_kpi_events",
    "chosen_versions",
    "closures",
    "realised_value",
    "reattribute",
    "refresh",
]
