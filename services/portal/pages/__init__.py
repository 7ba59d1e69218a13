"""Each page's data, gathered from the services as the signed-in user and shaped by the
view models in `domain`, one module per group of pages. The services compute every figure;
these modules only ask, in parallel where they can, and put the answers side by side."""

from services.portal.pages.common import all_projects, names, optional, programmes, today
from services.portal.pages.completeness import completeness_page
from services.portal.pages.programme import Scope, goal_page, overview
from services.portal.pages.project import project_page
from services.portal.pages.review import review_page

__all__ = [
    "Scope",
    "all_projects",
    "completeness_page",
    "goal_page",
    "names",
    "optional",
    "overview",
    "programmes",
    "project_page",
    "review_page",
    "today",
]
