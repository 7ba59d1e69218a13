"""What every page route shares beyond the core in `api`: rendering with the header's
unread count, and the refusals of the services turned into a page."""

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from services.portal import services
from services.portal.api import page
from services.portal.clients import Services
from services.portal.pages import optional


async def render(
    request: Request, name: str, who: services.SignedIn, api: Services, **context: Any
) -> HTMLResponse:
    """A page with the number of unread notifications in its header (none shown when the
    notifications service cannot say)."""
    count = await optional(api.get("notifications", "/v1/feed/unread-count"), {"unread": None})
    return page(request, name, who, unread=count.get("unread"), **context)
