"""Uploading reports for a partner: a template whose sample rows the chosen project's intake
accepts, numbers read the way the user's language writes them, a preview first (the KPI
service's dry run: what would be stored, and every refused row at its row and column),
then storing the accepted rows — a file with nothing accepted as a failure, never in green."""

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from services.portal import pages
from services.portal.api import UPLOAD_BYTES, Api, User, check_csrf, require
from services.portal.clients import ServiceError
from services.portal.domain import exports, problems, uploads, views
from services.portal.domain.catalogue import Names
from services.portal.web import render

router = APIRouter(include_in_schema=False)


@router.get("/upload", response_class=HTMLResponse)
async def upload_form(
    request: Request, who: User, api: Api, project: uuid.UUID | None = None
) -> HTMLResponse:
    require(who, "programme_manager")
    return await _page(request, who, api, chosen=str(project or ""))


@router.get("/upload/template.csv")
async def upload_template(who: User, api: Api, project: uuid.UUID | None = None) -> Response:
    """The columns, and for a chosen project a valid sample row per KPI it reports."""
    found, kpis, indicators = None, [], []
    if project is not None:
        found = await api.get("projects", f"/v1/projects/{project}")
        kpis, indicators = (
            await api.get("kpi", f"/v1/projects/{project}/kpis"),
            await pages.optional(api.get("kpi", "/v1/indicators"), []),
        )
    rows = views.template_rows(found, kpis, {i["code"]: i for i in indicators}, pages.today())
    name = exports.file_name(
        "koersmonitor-rapportages",
        found["code"] if found else "",
        made=pages.today(),
        extension="csv",
    )
    return Response(
        views.template_csv(rows, dutch=who.language == "nl"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/upload", response_class=HTMLResponse, max_body_size=UPLOAD_BYTES + 64 * 1024)
async def upload(
    request: Request,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    """The preview: every row checked by the same intake path as the API, nothing stored."""
    require(who, "programme_manager")
    check_csrf(who, csrf)
    content = await file.read(UPLOAD_BYTES + 1)
    try:
        if len(content) > UPLOAD_BYTES:
            raise views.UploadError("the file is larger than 5 MB")
        parsed = views.parse_upload(content, file.filename or "upload.csv", who.language)
        if not parsed.items:
            raise views.UploadError("the file has no rows")
    except views.UploadError as exc:
        return await _failed(request, who, api, problems.message(str(exc), who.language))
    return await _answer(request, who, api, parsed, dry_run=True)


@router.post("/upload/store", response_class=HTMLResponse, max_body_size=UPLOAD_BYTES + 64 * 1024)
async def store(
    request: Request,
    who: User,
    api: Api,
    csrf: Annotated[str, Form()],
    rows: Annotated[str, Form(max_length=UPLOAD_BYTES)],
) -> HTMLResponse:
    """The previewed rows, stored for real (each checked again: a period may have been
    locked since the preview)."""
    require(who, "programme_manager")
    check_csrf(who, csrf)
    try:
        chosen = uploads.decode(rows)
    except views.UploadError as exc:
        return await _failed(request, who, api, problems.message(str(exc), who.language))
    return await _answer(request, who, api, chosen, dry_run=False)


async def _answer(
    request: Request, who: User, api: Api, upload: views.Upload, *, dry_run: bool
) -> HTMLResponse:
    """The batch answer as a page: 422 when no row was (or would be) accepted."""
    path = "/v1/reports/batch" + ("?dry_run=true" if dry_run else "")
    try:
        result = await api.send("POST", "kpi", path, {"reports": upload.items})
    except ServiceError as exc:
        return await _failed(request, who, api, problems.readable(exc.detail, who.language))
    to_store = uploads.to_store(upload, result) if dry_run else None
    indicators = await pages.optional(api.get("kpi", "/v1/indicators"), []) if dry_run else []
    known = Names.of(who.language, indicators)
    answer = await _page(
        request,
        who,
        api,
        result=result,
        previewed=dry_run,
        problems=views.row_problems(upload, result, who.language),
        accepted=uploads.accepted(upload, result, who.language, known.indicator) if dry_run else [],
        to_store=uploads.encode(to_store) if to_store and to_store.items else None,
    )
    answer.status_code = 422 if result["accepted"] == 0 else 200
    return answer


async def _failed(request: Request, who: User, api: Api, problem: str) -> HTMLResponse:
    answer = await _page(request, who, api, problem=problem)
    answer.status_code = 422
    return answer


async def _page(request: Request, who: User, api: Api, **context: object) -> HTMLResponse:
    defaults: dict[str, object] = {
        "chosen": "",
        "result": None,
        "problems": [],
        "problem": None,
        "previewed": False,
        "accepted": [],
        "to_store": None,
    }
    return await render(
        request,
        "upload.html",
        who,
        api,
        projects=await pages.all_projects(api),
        **(defaults | context),
    )
