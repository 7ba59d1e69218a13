"""The registry's use cases. HTTP routes, the seed and the CLI all come through here.

Every change is validated by the domain rules, written with its event in one
unit of work, and committed once; a failure anywhere leaves nothing behind.

One module per use case: `organisations`, `programmes` (with their goal trees), `projects`;
`locks` holds what they share. Callers import this package (`from services.projects import
services`), which names every use case.
"""

from services.projects.services.locks import (
    ORGANISATION_NAMES,
    PROGRAMME_NAMES,
    PROJECT_CODES,
    goal_tree_lock,
    project_lock,
)
from services.projects.services.organisations import (
    get_organisation,
    list_organisations,
    register_organisation,
    update_organisation,
)
from services.projects.services.programmes import (
    add_goal,
    create_programme,
    get_programme,
    goal_tree,
    list_programmes,
    update_goal,
    update_programme,
)
from services.projects.services.projects import (
    change_project_status,
    get_project,
    list_projects,
    project_status_history,
    register_project,
    update_project,
)

__all__ = [
    "ORGANISATION_NAMES",
    "PROGRAMME_NAMES",
    "PROJECT_CODES",
    "add_goal",
    "change_project_status",
    "create_programme",
    "get_organisation",
    "get_programme",
    "get_project",
    "goal_tree",
    "goal_tree_lock",
    "list_organisations",
    "list_programmes",
    "list_projects",
    "project_lock",
    "project_status_history",
    "register_organisation",
    "register_project",
    "update_goal",
    "update_organisation",
    "update_programme",
    "update_project",
]
