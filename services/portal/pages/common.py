"""What every page gathers: the services' answers that may be missing, today's date in
Amsterdam, and the names (programmes, projects, indicators, goals) pages show for codes."""

import asyncio
from collections.abc import Awaitable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from services.portal.clients import ServiceError, Services
from services.portal.domain.catalogue import Names
from services.portal.domain.formatting import AMSTERDAM

T = TypeVar("T")


async def optional(call: Awaitable[T], default: T) -> T:
    """A part of a page that may be missing (a service down or not yet knowing the thing)."""
    try:
        return await call
    except ServiceError:
        return default


def today() -> date:
    return datetime.now(AMSTERDAM).date()


async def programmes(api: Services) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await api.get("projects", "/v1/programmes")
    return sorted(found, key=lambda p: (p["period_start"], p["name"]))


async def all_projects(api: Services) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await api.get("projects", "/v1/projects", limit=500))["data"]
    return sorted(found, key=lambda p: p["code"])


async def names(
    api: Services,
    language: str,
    *,
    projects: Sequence[Mapping[str, Any]] = (),
    organisations: bool = False,
    trees_of: Sequence[Mapping[str, Any]] = (),
) -> Names:
    """The names a page needs: the indicator catalogue always; organisations and goal trees
    when asked."""
    indicators, orgs, trees = await asyncio.gather(
        optional(api.get("kpi", "/v1/indicators"), []),
        optional(api.get("projects", "/v1/organisations", limit=500), {"data": []})
        if organisations
        else _nothing({"data": []}),
        asyncio.gather(*(api.get("projects", f"/v1/programmes/{p['id']}/goals") for p in trees_of)),
    )
    return Names.of(
        language, indicators, projects, orgs["data"], [node for tree in trees for node in tree]
    )


async def _nothing(value: T) -> T:
    return value


async def per_project(api: Services, ids: Sequence[str], path: str) -> dict[str, Any]:
    answers = await asyncio.gather(*(optional(api.get("kpi", path.format(i)), []) for i in ids))
    return dict(zip(ids, answers, strict=True))
