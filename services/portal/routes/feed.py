"""Notifications in the portal: the feed (mark one or all read) and one's own subscriptions
(which rules reach the user, on which channels), through the notifications service's
`/v1/subscribers/me`, which every staff user may read and set for themselves."""

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal import pages
from services.portal.api import Api, User, check_csrf
from services.portal.clients import ServiceError, Services
from services.portal.domain import problems
from services.portal.web import render

router = APIRouter(include_in_schema=False)
CHANNELS = ("in_app", "email", "webhook")


@router.get("/notifications", response_class=HTMLResponse)
async def notifications(request: Request, who: User, api: Api) -> HTMLResponse:
    return await _page(request, who, api)


async def _page(
    request: Request, who: Any, api: Services, problem: str | None = None, status: int = 200
) -> HTMLResponse:
    feed, names = await asyncio.gather(
        pages.optional(api.get("notifications", "/v1/feed", language=who.language, limit=200), []),
        pages.names(api, who.language),
    )
    feed = [names.notification(item) for item in feed]
    rules = await pages.optional(api.get("notifications", "/v1/rules"), [])
    mine = await pages.optional(api.get("notifications", "/v1/subscribers/me"), None)
    response = await render(
        request,
        "notifications.html",
        who,
        api,
        feed=feed,
        rules=rules,
        mine=mine,
        subscribed={(s["rule"], s["channel"]) for s in (mine or {}).get("subscriptions", [])},
        channels=_channels(mine),
        problem=problem,
    )
    response.status_code = status
    return response


def _channels(mine: dict[str, Any] | None) -> list[str]:
    """The channels that can reach the user: the portal always; e-mail and webhook only
    when the subscriber has an address for them."""
    if not mine:
        return ["in_app"]
    return [
        c
        for c in CHANNELS
        if c == "in_app"
        or (c == "email" and mine.get("email"))
        or (c == "webhook" and mine.get("webhook_url"))
    ]


@router.post("/notifications/read-all")
async def read_all(who: User, api: Api, csrf: Annotated[str, Form()]) -> Response:
    check_csrf(who, csrf)
    await api.send("POST", "notifications", "/v1/feed/read-all")
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/{delivery_id}/read")
async def read(
    delivery_id: uuid.UUID, who: User, api: Api, csrf: Annotated[str, Form()]
) -> Response:
    check_csrf(who, csrf)
    await api.send("POST", "notifications", f"/v1/feed/{delivery_id}/read")
    return RedirectResponse("/notifications", status_code=303)


@router.post("/notifications/subscriptions", response_class=HTMLResponse)
async def subscriptions(request: Request, who: User, api: Api) -> Response:
    """One's own subscriptions: a checkbox per rule and channel (none ticked: none at all)."""
    form = await request.form()
    csrf = form.get("csrf")
    check_csrf(who, csrf if isinstance(csrf, str) else "")
    wanted = []
    for value in form.getlist("subscription")[:200]:
        rule, _, channel = str(value).partition(":")
        if channel in CHANNELS and 0 < len(rule) <= 60:
            wanted.append({"rule": rule, "channel": channel})
    try:
        await api.send("PUT", "notifications", "/v1/subscribers/me/subscriptions", wanted)
    except ServiceError as exc:
        problem = problems.readable(exc.detail, who.language)
        return await _page(request, who, api, problem=problem, status=422)
    return RedirectResponse("/notifications?done=1#subscriptions", status_code=303)
