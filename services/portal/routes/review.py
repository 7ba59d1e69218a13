"""Review: the queue with each report's context, filters, sorting and pages; decisions on
one report or on the selected ones with one reason (the user comes back to the same
filters and page); a programme's locks and exceptions, locking one of its quarters and
granting one of its projects an exception to a lock."""

import uuid
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal import pages
from services.portal.api import Api, User, check_csrf, require
from services.portal.clients import ServiceError, Services
from services.portal.domain import problems
from services.portal.domain.review import SORTS, Filters
from services.portal.i18n import translate
from services.portal.routes.programme import PERIOD
from services.portal.web import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=60)]


def filters_of(values: dict[str, str]) -> Filters:
    """Filters from a query (or a form's copy of it); anything unknown is left out."""
    page = values.get("page", "1")
    sort = values.get("sort", "oldest")
    return Filters(
        line=values.get("line", "")[:60],
        project=values.get("project", "")[:60],
        partner=values.get("partner", "")[:60],
        period=values.get("period", "")[:7],
        indicator=values.get("indicator", "")[:60],
        flagged=values.get("flagged", "") in ("1", "on", "true"),
        sort=sort if sort in SORTS else "oldest",
        page=int(page) if page.isdigit() and len(page) < 6 else 1,
    )


@router.get("/review", response_class=HTMLResponse)
async def review(
    request: Request,
    who: User,
    api: Api,
    line: Text = "",
    project: Text = "",
    partner: Text = "",
    period: Text = "",
    indicator: Text = "",
    flagged: Text = "",
    sort: Text = "oldest",
    page: Text = "1",
    done: Annotated[str, Query(max_length=20)] = "",
    programme: Text = "",
) -> HTMLResponse:
    require(who, "programme_manager")
    filters = filters_of(
        {
            "line": line,
            "project": project,
            "partner": partner,
            "period": period,
            "indicator": indicator,
            "flagged": flagged,
            "sort": sort,
            "page": page,
        }
    )
    return await _page(request, who, api, filters, done=done, programme=programme)


async def _page(
    request: Request,
    who: Any,
    api: Services,
    filters: Filters,
    *,
    done: str = "",
    problem: str | None = None,
    status: int = 200,
    programme: str = "",
) -> HTMLResponse:
    data = await pages.review_page(api, who.language, filters, programme)
    response = await render(request, "review.html", who, api, **data, done=done, problem=problem)
    response.status_code = status
    return response


@router.post("/review/decisions", response_class=HTMLResponse)
async def decide(request: Request, who: User, api: Api) -> Response:
    """One report (its row's button) or the selected ones (the buttons under the table),
    approved or returned with a reason; then back to the same filters and page."""
    require(who, "programme_manager")
    form = await request.form()
    check_csrf(who, _text(form.get("csrf")))
    filters = filters_of({k: v[0] for k, v in parse_qs(_text(form.get("back"))).items()})
    act = _text(form.get("act"))
    decision, _, single = act.partition(":")
    ids = [single] if single else [_text(v) for v in form.getlist("selected")]
    reason = (_text(form.get(f"reason-{single}")) if single else "") or _text(form.get("reason"))
    problem = _decision_problem(decision, ids, reason.strip(), who.language)
    if problem:
        return await _page(request, who, api, filters, problem=problem, status=422)
    failures = await _decide_each(api, ids, decision, reason.strip(), who.language)
    if failures:
        return await _page(request, who, api, filters, problem="; ".join(failures), status=409)
    query = filters.query()
    return RedirectResponse(
        f"/review?{query + '&' if query else ''}done={len(ids)}#queue", status_code=303
    )


def _text(value: Any) -> str:
    return value[:4000] if isinstance(value, str) else ""


def _decision_problem(decision: str, ids: list[str], reason: str, language: str) -> str | None:
    if decision not in ("approve", "return"):
        return translate("bad_input", language)
    if not ids:
        return translate("nothing_selected", language)
    for report_id in ids:
        try:
            uuid.UUID(report_id)
        except ValueError:
            return translate("not_found", language)
    if decision == "return" and not reason:
        return translate("reason_needed", language)
    if len(reason) > 2000:
        return problems.message("String should have at most 2000 characters", language)
    return None


async def _decide_each(
    api: Services, ids: list[str], decision: str, reason: str, language: str
) -> list[str]:
    """Each decision on its own (a report decided meanwhile by someone else fails alone)."""
    failures = []
    body = {"decision": decision, **({"reason": reason} if reason else {})}
    for report_id in ids:
        try:
            await api.send("POST", "kpi", f"/v1/reports/{report_id}/review", body)
        except ServiceError as exc:
            failures.append(problems.readable(exc.detail, language))
    return failures


@router.post("/review/comments", response_class=HTMLResponse)
async def comment(request: Request, who: User, api: Api) -> Response:
    """A comment to the partner in a report's thread (the queue form's button beside it);
    then back to the same filters and page."""
    require(who, "programme_manager")
    form = await request.form()
    check_csrf(who, _text(form.get("csrf")))
    filters = filters_of({k: v[0] for k, v in parse_qs(_text(form.get("back"))).items()})
    report_id = _text(form.get("comment_on"))
    text = _text(form.get(f"comment-{report_id}")).strip()
    try:
        uuid.UUID(report_id)
    except ValueError:
        return await _page(
            request, who, api, filters, problem=translate("not_found", who.language), status=422
        )
    if not text:
        problem = translate("comment_needed", who.language)
        return await _page(request, who, api, filters, problem=problem, status=422)
    try:
        await api.send("POST", "kpi", f"/v1/reports/{report_id}/comments", {"text": text})
    except ServiceError as exc:
        problem = problems.readable(exc.detail, who.language)
        return await _page(request, who, api, filters, problem=problem, status=422)
    query = filters.query()
    return RedirectResponse(
        f"/review?{query + '&' if query else ''}done=comment#queue", status_code=303
    )


@router.post("/review/locks", response_class=HTMLResponse)
async def lock(
    request: Request,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    programme_id: Annotated[uuid.UUID, Form()],
    period: Annotated[str, Form(pattern=PERIOD, min_length=4, max_length=7)],
) -> Response:
    """Lock a quarter of the programme chosen on the page (the form offers its quarters
    only): no more reports or revisions for it."""
    require(who, "programme_manager")
    check_csrf(who, csrf)
    body = {"programme_id": str(programme_id), "period": period}
    back = str(programme_id)
    return await _then_back(request, who, api, "/v1/period-locks", body, "lock", back)


@router.post("/review/lock-exceptions", response_class=HTMLResponse)
async def lock_exception(
    request: Request,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    project_id: Annotated[uuid.UUID, Form()],
    period: Annotated[str, Form(pattern=PERIOD, min_length=4, max_length=7)],
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
    programme: Annotated[uuid.UUID | None, Form()] = None,
) -> Response:
    """Let one project of the programme chosen on the page still report a locked period,
    for a reason."""
    require(who, "programme_manager")
    check_csrf(who, csrf)
    body = {"project_id": str(project_id), "period": period, "reason": reason}
    back = str(programme or "")
    return await _then_back(request, who, api, "/v1/lock-exceptions", body, "exception", back)


async def _then_back(
    request: Request, who: Any, api: Services, path: str, body: Any, done: str, programme: str
) -> Response:
    """Back to the same programme's locks: with the new one listed, or with the refusal."""
    try:
        await api.send("POST", "kpi", path, body)
    except ServiceError as exc:
        problem = problems.readable(exc.detail, who.language)
        return await _page(
            request, who, api, Filters(), problem=problem, status=exc.status, programme=programme
        )
    chosen = f"programme={programme}&" if programme else ""
    return RedirectResponse(f"/review?{chosen}done={done}#locks", status_code=303)
