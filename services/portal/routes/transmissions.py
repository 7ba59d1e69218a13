"""EU transmissions on the export page (ADR 30): a finance officer transmits a fund's EU
report at a cut-off (or another date, with a reason; or as a correction of an earlier one);
anyone signed in lists them, opens one, downloads its sealed files and sees what changed
since. Plain forms and links over the funding service's four calls."""

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.portal import pages
from services.portal.api import Api, User, check_csrf, require
from services.portal.clients import ServiceError, Services
from services.portal.domain import transmissions as shown
from services.portal.i18n import translate
from services.portal.routes.exports import cutoffs
from services.portal.web import render

router = APIRouter(include_in_schema=False)
Fund = Literal["efro", "jtf"]
FileFormat = Literal["xlsx", "csv", "json"]
MEDIA = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def calls(programme: uuid.UUID, fund: str, tail: str = "") -> str:
    return f"/v1/programmes/{programme}/eu-reports/{fund}/transmissions{tail}"


def here(programme: uuid.UUID, fund: str, tail: str = "") -> str:
    return f"/exports/transmissions{tail}?programme={programme}&fund={fund}"


@router.get("/exports/transmissions", response_class=HTMLResponse)
async def transmissions_page(
    request: Request,
    who: User,
    api: Api,
    programme: uuid.UUID,
    fund: Fund = "efro",
    done: Annotated[str, Query(max_length=6, pattern=r"^\d*$")] = "",
) -> HTMLResponse:
    return await _list(request, who, api, programme, fund, done=done)


async def _list(
    request: Request,
    who: Any,
    api: Services,
    programme: uuid.UUID,
    fund: str,
    *,
    done: str = "",
    problem: str | None = None,
    status: int = 200,
    asked: dict[str, str] | None = None,
) -> HTMLResponse:
    found = await api.get("projects", f"/v1/programmes/{programme}")
    listed = await api.get("funding", calls(programme, fund))
    response = await render(
        request,
        "transmissions.html",
        who,
        api,
        programme=found,
        fund=fund,
        transmissions=sorted(listed, key=lambda t: -t["number"]),
        cutoffs=cutoffs(found, pages.today()),
        can_transmit=who.has("finance_officer"),
        done=done,
        problem=problem,
        asked=asked or {},
        other=shown.OTHER,
    )
    response.status_code = status
    return response


@router.post("/exports/transmissions", response_class=HTMLResponse)
async def transmit(
    request: Request,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    programme: Annotated[uuid.UUID, Form()],
    fund: Annotated[Fund, Form()],
    cutoff: Annotated[str, Form(max_length=10)] = "",
    other: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=4000)] = "",
    corrects: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Seal the report; then back to the list with its number, or the same form again with
    what the funding service (or the form) found wrong, in words."""
    require(who, "finance_officer")
    check_csrf(who, csrf)
    asked = {"cutoff": cutoff, "other": other, "reason": reason, "corrects": corrects}
    wanted = shown.transmit_request(cutoff, other, reason, corrects)
    if isinstance(wanted, str):
        problem = translate(wanted, who.language)
        return await _list(
            request, who, api, programme, fund, problem=problem, status=422, asked=asked
        )
    try:
        sealed = await api.send("POST", "funding", calls(programme, fund), wanted.body)
    except ServiceError as exc:
        if exc.status not in (403, 404, 409, 422):
            raise
        problem = shown.refusal(exc.detail, who.language)
        return await _list(
            request, who, api, programme, fund, problem=problem, status=exc.status, asked=asked
        )
    return RedirectResponse(
        here(programme, fund) + f"&done={sealed['number']}#transmissions", status_code=303
    )


async def _record(api: Services, programme: uuid.UUID, fund: str, number: int) -> Any:
    return await api.get("funding", calls(programme, fund, f"/{number}"), format="json")


def _listed(listed: list[Any], number: int) -> Any:
    """The transmission's row of the list (the funding service said 404 before if none)."""
    for row in listed:
        if row["number"] == number:
            return row
    raise ServiceError("funding", 404, f"transmission {number} does not exist")


@router.get("/exports/transmissions/{number}", response_class=HTMLResponse)
async def transmission_page(
    request: Request, who: User, api: Api, number: int, programme: uuid.UUID, fund: Fund = "efro"
) -> HTMLResponse:
    """One transmission as sealed: who and when, the figures, the definitions it counted
    under, the restatements it carries, and its files."""
    found = await api.get("projects", f"/v1/programmes/{programme}")
    record = await _record(api, programme, fund, number)
    listed = await api.get("funding", calls(programme, fund))
    names = await pages.names(api, who.language, organisations=True)
    return await render(
        request,
        "transmission.html",
        who,
        api,
        programme=found,
        fund=fund,
        sealed=_listed(listed, number),
        record=record,
        definitions=shown.definition_rows(record, who.language),
        restatements=shown.restatement_rows(record.get("restatements", []), names, who.language),
        formats=shown.FORMATS,
    )


@router.get("/exports/transmissions/{number}/file")
async def transmission_file(
    who: User,
    api: Api,
    number: int,
    programme: uuid.UUID,
    fund: Fund = "efro",
    format: FileFormat = "xlsx",
) -> Response:
    """The file as the funding service sealed it, byte for byte, with its digest."""
    found = await api.get("projects", f"/v1/programmes/{programme}")
    sent = await api.call(
        "GET", "funding", calls(programme, fund, f"/{number}"), params={"format": format}
    )
    listed = await api.get("funding", calls(programme, fund))
    as_of = next((t["as_of"] for t in listed if t["number"] == number), "")
    name = shown.file_name(fund, number, found["name"], as_of, format, who.language)
    return Response(
        sent.content,
        media_type=MEDIA[format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-SHA256": sent.headers.get("x-content-sha256", ""),
        },
    )


@router.get("/exports/transmissions/{number}/diff", response_class=HTMLResponse)
async def diff_page(
    request: Request, who: User, api: Api, number: int, programme: uuid.UUID, fund: Fund = "efro"
) -> HTMLResponse:
    """What has changed since a transmission: its figures beside today's for the same
    cut-off, the report versions behind the change with reasons and actors, and the
    restatements flagged against it."""
    found = await api.get("projects", f"/v1/programmes/{programme}")
    diff = await api.get("funding", calls(programme, fund, f"/{number}/diff"))
    names = await pages.names(api, who.language, organisations=True)
    return await render(
        request,
        "transmission_diff.html",
        who,
        api,
        programme=found,
        fund=fund,
        sealed=diff["transmission"],
        figures=shown.figure_rows(diff, names, who.language),
        versions=shown.version_rows(diff, names, who.language),
        restatements=shown.restatement_rows(diff.get("restatements", []), names, who.language),
    )
