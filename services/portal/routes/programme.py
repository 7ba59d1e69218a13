"""Where the programme stands: the overview (any period range, line, fund, approved only),
a goal with the projects behind its outputs, a project with its indicator periods, and
completeness (who has not reported what)."""

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal import pages
from services.portal.api import Api, User, check_csrf, require
from services.portal.clients import ServiceError
from services.portal.domain import problems, views
from services.portal.i18n import translate
from services.portal.web import render

router = APIRouter(include_in_schema=False)
PERIOD = r"^(\d{4}(-Q[1-4])?)?$"
Period = Annotated[str, Query(pattern=PERIOD, max_length=7)]


def scope_of(
    period_from: str, period_to: str, line: str, fund: str, approved: str, tree: list[Any]
) -> pages.Scope:
    """The filters as given, a line only when it belongs to the programme shown."""
    lines = {str(node["id"]) for node in tree}
    return pages.Scope(
        period_from=period_from,
        period_to=period_to,
        line=line if line in lines else "",
        fund=fund if re.fullmatch(r"[a-z_]{1,20}", fund) else "",
        approved_only=approved in ("1", "true", "on"),
    )


@router.get("/", response_class=HTMLResponse)
async def overview(
    request: Request,
    who: User,
    api: Api,
    programme: uuid.UUID | None = None,
    period_from: Annotated[str, Query(alias="from", pattern=PERIOD, max_length=7)] = "",
    period_to: Annotated[str, Query(alias="to", pattern=PERIOD, max_length=7)] = "",
    line: Annotated[str, Query(max_length=40)] = "",
    fund: Annotated[str, Query(max_length=20)] = "",
    approved: Annotated[str, Query(max_length=5)] = "",
) -> HTMLResponse:
    found = await pages.programmes(api)
    if not found:
        return await render(request, "overview.html", who, api, programmes=[], data=None)
    chosen = str(programme) if programme else str(found[0]["id"])
    tree = await api.get("projects", f"/v1/programmes/{chosen}/goals")
    scope = scope_of(period_from, period_to, line, fund, approved, tree)
    data = await pages.overview(api, chosen, who.language, scope)
    return await render(
        request,
        "overview.html",
        who,
        api,
        programmes=found,
        data=data,
        choices=_period_choices(data["periods"]),
    )


def _period_choices(periods: list[str]) -> list[str]:
    """The periods a range can start or end at: the programme's years and quarters."""
    years = sorted({p[:4] for p in periods})
    return [p for y in years for p in (y, *(q for q in periods if q.startswith(y)))]


@router.get("/goals/{goal_id}", response_class=HTMLResponse)
async def goal(
    request: Request,
    goal_id: uuid.UUID,
    who: User,
    api: Api,
    period_from: Annotated[str, Query(alias="from", pattern=PERIOD, max_length=7)] = "",
    period_to: Annotated[str, Query(alias="to", pattern=PERIOD, max_length=7)] = "",
    fund: Annotated[str, Query(max_length=20)] = "",
    approved: Annotated[str, Query(max_length=5)] = "",
) -> HTMLResponse:
    scope = scope_of(period_from, period_to, "", fund, approved, [])
    data = await pages.goal_page(api, str(goal_id), who.language, scope)
    periods = (
        views.quarters(data["programme"]["period_start"], data["programme"]["period_end"])
        if data["programme"]
        else []
    )
    return await render(request, "goal.html", who, api, **data, choices=_period_choices(periods))


@router.get("/projects/{project_id}", response_class=HTMLResponse)
async def project(request: Request, project_id: uuid.UUID, who: User, api: Api) -> HTMLResponse:
    data = await pages.project_page(api, str(project_id), who.language)
    return await render(request, "project.html", who, api, **data)


@router.get("/completeness", response_class=HTMLResponse)
async def completeness(
    request: Request,
    who: User,
    api: Api,
    programme: uuid.UUID | None = None,
    quarter: Annotated[str, Query(pattern=PERIOD, max_length=7)] = "",
    sent: Annotated[int | None, Query(ge=0, le=1000)] = None,
    already: Annotated[int, Query(ge=0, le=1000)] = 0,
) -> HTMLResponse:
    """Per quarter: which projects have not reported which KPIs, due or overdue."""
    require(who, "programme_manager")
    done = (
        translate("reminders_sent", who.language)
        .replace("{sent}", str(sent))
        .replace("{already}", str(already))
        if sent is not None
        else None
    )
    return await _completeness(request, who, api, programme, quarter, done=done)


async def _completeness(
    request: Request,
    who: Any,
    api: Any,
    programme: uuid.UUID | None,
    quarter: str,
    *,
    done: str | None = None,
    problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = await pages.programmes(api)
    data = None
    if found:
        chosen = str(programme) if programme else str(found[0]["id"])
        data = await pages.completeness_page(api, who.language, chosen, quarter)
    response = await render(
        request, "completeness.html", who, api, data=data, done=done, problem=problem
    )
    response.status_code = status
    return response


@router.post("/completeness/reminders", response_class=HTMLResponse)
async def remind(request: Request, who: User, api: Api) -> Response:
    """A reminder for each selected missing report, sent by the notifications service to
    whoever its due/overdue rule reaches for the project (the partners by default)."""
    require(who, "programme_manager")
    form = await request.form()
    csrf, chosen, quarter = (_text(form.get(k)) for k in ("csrf", "programme", "quarter"))
    check_csrf(who, csrf)
    programme = _uuid(chosen)
    quarter = quarter if re.fullmatch(PERIOD, quarter) else ""
    reminders = [r for v in form.getlist("missing")[:200] if (r := _reminder(_text(v)))]
    if not reminders:
        problem = translate("nothing_to_remind", who.language)
        return await _completeness(
            request, who, api, programme, quarter, problem=problem, status=422
        )
    try:
        answer = await api.send("POST", "notifications", "/v1/reminders", {"reminders": reminders})
    except ServiceError as exc:
        problem = problems.readable(exc.detail, who.language)
        return await _completeness(
            request, who, api, programme, quarter, problem=problem, status=422
        )
    where = f"programme={programme}&quarter={quarter}&" if programme else ""
    return RedirectResponse(
        f"/completeness?{where}sent={answer['sent']}&already={answer['already']}",
        status_code=303,
    )


def _text(value: Any) -> str:
    return value[:400] if isinstance(value, str) else ""


def _uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _reminder(value: str) -> dict[str, str] | None:
    """A checkbox's value, `project id|indicator|period|due date`, as a reminder to send."""
    parts = value.split("|")
    if len(parts) != 4 or _uuid(parts[0]) is None or not re.fullmatch(PERIOD, parts[2]):
        return None
    if not parts[2] or not re.fullmatch(r"[A-Za-z0-9_.-]{1,60}", parts[1]):
        return None
    item = {"project_id": parts[0], "indicator": parts[1], "period": parts[2]}
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", parts[3]):
        item["due_on"] = parts[3]
    return item
