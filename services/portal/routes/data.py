"""Uploading reports for a partner: a template whose sample rows the chosen project's intake
accepts, numbers read the way the user's language writes them, and every refused row shown
at its row and column — a file with nothing accepted as a failure, never in green."""

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from services.portal import pages
from services.portal.api import UPLOAD_BYTES, Api, User, check_csrf, require
from services.portal.clients import ServiceError
from services.portal.domain import exports, problems, views
from services.portal.web import render

router = APIRouter(include_in_schema=False)


@router.get("/upload", response_class=HTMLResponse)
async def upload_form(
    request: Request, who: User, api: Api, project: uuid.UUID | None = None
) -> HTMLResponse:
    require(who, "programme_manager")
    return await render(
        request,
        "upload.html",
        who,
        api,
        projects=await pages.all_projects(api),
        chosen=str(project or ""),
        result=None,
        problems=[],
        problem=None,
    )


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
        views.template_csv(rows),
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
    """Every row checked by the same intake path as the API; valid rows are accepted."""
    require(who, "programme_manager")
    check_csrf(who, csrf)
    projects = await pages.all_projects(api)

    async def again(status: int, **context: object) -> HTMLResponse:
        answer = await render(
            request, "upload.html", who, api, projects=projects, chosen="", **context
        )
        answer.status_code = status
        return answer

    content = await file.read(UPLOAD_BYTES + 1)
    try:
        if len(content) > UPLOAD_BYTES:
            raise views.UploadError("the file is larger than 5 MB")
        parsed = views.parse_upload(content, file.filename or "upload.csv", who.language)
        if not parsed.items:
            raise views.UploadError("the file has no rows")
    except views.UploadError as exc:
        problem = problems.message(str(exc), who.language)
        return await again(422, result=None, problems=[], problem=problem)
    try:
        result = await api.send("POST", "kpi", "/v1/reports/batch", {"reports": parsed.items})
    except ServiceError as exc:
        problem = problems.readable(exc.detail, who.language)
        return await again(422, result=None, problems=[], problem=problem)
    found = views.row_problems(parsed, result, who.language)
    status = 422 if result["accepted"] == 0 else 200
    return await again(status, result=result, problems=found, problem=None)
