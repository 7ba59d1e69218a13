"""Exports for Brussels and for the province's Excel: the programme overview (following the
overview's filters) and the EU report per fund at a cut-off the user chooses, each as a
standard CSV, a Dutch CSV or XLSX, named after programme, fund, cut-off and date."""

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.portal import pages
from services.portal.api import Api, User
from services.portal.clients import Services
from services.portal.domain import exports
from services.portal.domain.catalogue import Names
from services.portal.domain.exports import Column, Table
from services.portal.domain.formatting import MISSING, day
from services.portal.i18n import label, translate
from services.portal.routes.programme import PERIOD, scope_of
from services.portal.web import render

router = APIRouter(include_in_schema=False)
Format = Literal["csv", "csv-nl", "xlsx"]
Fund = Literal["efro", "jtf"]


@router.get("/exports", response_class=HTMLResponse)
async def exports_page(request: Request, who: User, api: Api) -> HTMLResponse:
    found = await pages.programmes(api)
    return await render(
        request,
        "exports.html",
        who,
        api,
        programmes=found,
        cutoffs={str(p["id"]): cutoffs(p, pages.today()) for p in found},
    )


def cutoffs(programme: dict[str, Any], today: date) -> list[date]:
    """The EU indicator cut-offs (31 January, 31 July) from the programme's start to today,
    the latest first."""
    out = [
        d
        for year in range(int(programme["period_start"]), today.year + 1)
        for d in (date(year, 1, 31), date(year, 7, 31))
        if d <= today
    ]
    return sorted(out, reverse=True)


def send(tables: list[Table], fmt: Format, name: str) -> Response:
    if fmt == "xlsx":
        body, media = exports.xlsx_bytes(tables), exports.XLSX_MEDIA
    else:
        body, media = exports.csv_bytes(tables, dutch=fmt == "csv-nl"), "text/csv; charset=utf-8"
    extension = "xlsx" if fmt == "xlsx" else "csv"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{extension}"'},
    )


@router.get("/exports/overview")
async def overview_export(
    who: User,
    api: Api,
    programme: uuid.UUID,
    format: Format = "xlsx",
    period_from: Annotated[str, Query(alias="from", pattern=PERIOD, max_length=7)] = "",
    period_to: Annotated[str, Query(alias="to", pattern=PERIOD, max_length=7)] = "",
    line: Annotated[str, Query(max_length=40)] = "",
    fund: Annotated[str, Query(max_length=20)] = "",
    approved: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    """The overview as shown with the same filters: outputs per line, money per fund."""
    tree = await api.get("projects", f"/v1/programmes/{programme}/goals")
    scope = scope_of(period_from, period_to, line, fund, approved, tree)
    data = await pages.overview(api, str(programme), who.language, scope)
    tables = overview_tables(data, who.language)
    name = exports.file_name(
        translate("overview_export", who.language),
        data["programme"]["name"],
        label("fund", scope.fund, "nl") if scope.fund else "",
        f"{scope.period_from}-{scope.period_to}" if scope.period_from or scope.period_to else "",
        made=pages.today(),
        extension="x",
    ).removesuffix(".x")
    return send(tables, format, name)


def overview_tables(data: dict[str, Any], language: str) -> list[Table]:
    def t(key: str) -> str:
        return translate(key, language)

    scope: pages.Scope = data["scope"]
    about = [
        (t("programme"), data["programme"]["name"]),
        (t("periods"), f"{scope.period_from or '…'} \u2013 {scope.period_to or '…'}"),
        (t("line"), _line_name(data, scope.line) if scope.line else t("all_lines")),
        (t("fund"), label("fund", scope.fund, language) if scope.fund else t("all_funds")),
        (t("approved_only"), t("yes") if scope.approved_only else t("no")),
        (t("as_of"), day(pages.today(), language)),
    ]
    outputs = Table(
        t("outputs"),
        about,
        [
            Column(t("line")),
            Column(t("indicator")),
            Column(t("unit")),
            *([] if scope.approved_only else [Column(t("submitted_value"), "number")]),
            Column(t("approved"), "number"),
            Column(t("target"), "number"),
            Column("% " + t("target").lower(), "percent"),
            Column(t("status")),
        ],
    )
    money = Table(
        t("money"),
        about,
        [
            Column(t("line")),
            Column(t("fund")),
            Column(t("allocated"), "money"),
            Column(t("committed"), "money"),
            Column(t("paid"), "money"),
        ],
    )
    for line in data["lines"]:
        for o in line.outputs:
            outputs.rows.append(
                [
                    line.goal["name"],
                    o.name or o.indicator,
                    label("unit", o.unit, language),
                    *([] if scope.approved_only else [o.realised]),
                    o.approved,
                    o.target,
                    o.percent_of_target,
                    label("status", o.status, language) if o.status else "",
                ]
            )
        for m in line.money:
            money.rows.append(
                [
                    line.goal["name"],
                    label("fund", m["fund"], language),
                    m["allocated"],
                    m["committed"],
                    m["paid"],
                ]
            )
    return [outputs, money]


def _line_name(data: dict[str, Any], line: str) -> str:
    return next((str(n["name"]) for n in data["tree"] if str(n["id"]) == line), line)


@router.get("/exports/eu")
async def eu_export(
    who: User,
    api: Api,
    programme: uuid.UUID,
    fund: Fund = "efro",
    as_of: date | None = None,
    format: Format = "xlsx",
) -> Response:
    """The EU report as the funding service gives it, at the chosen cut-off (the latest one
    when none is chosen), with the programme's name."""
    found = await api.get("projects", f"/v1/programmes/{programme}")
    report = await eu_report(api, str(programme), fund, as_of)
    indicators = await pages.optional(api.get("kpi", "/v1/indicators"), [])
    names = Names.of(who.language, indicators)
    tables = eu_tables(report, found, who.language, names.indicator)
    name = exports.file_name(
        translate("eu_report", who.language),
        label("fund", fund, "nl"),
        found["name"],
        translate("cutoff", who.language),
        str(report["as_of"]),
        made=pages.today(),
        extension="x",
    ).removesuffix(".x")
    return send(tables, format, name)


async def eu_report(api: Services, programme: str, fund: str, as_of: date | None) -> Any:
    params = {"as_of": as_of.isoformat()} if as_of else {}
    return await api.get("funding", f"/v1/programmes/{programme}/eu-reports/{fund}", **params)


def eu_tables(
    report: dict[str, Any],
    programme: dict[str, Any],
    language: str,
    name_of: Callable[[str], str] = str,
) -> list[Table]:
    """The report's projects and EU indicators as the funding service totals them, and what
    awaited review at the cut-off (not in the totals: what is still to be decided)."""

    def t(key: str) -> str:
        return translate(key, language)

    nl = language == "nl"
    about = [
        (t("eu_report"), label("fund", report["fund"], language)),
        (t("programme"), programme["name"]),
        (t("cutoff"), str(report["as_of"])),
        (
            "EU-peildatum (31 jan / 31 jul)" if nl else "EU cut-off (31 Jan / 31 Jul)",
            t("yes") if report.get("is_cutoff") else t("no"),
        ),
        (t("as_of"), day(pages.today(), language)),
    ]
    return [
        _eu_projects(report, about, language),
        _eu_indicators(report, about, language),
        _pending(report, about, language, name_of),
    ]


def _eu_projects(report: dict[str, Any], about: list[tuple[str, str]], language: str) -> Table:
    """The report's projects and their EU money, with the totals the funding service gives."""
    nl = language == "nl"

    def t(key: str) -> str:
        return translate(key, language)

    projects = Table(
        t("projects"),
        about,
        [
            Column("Code"),
            Column(t("name")),
            Column("Subsidiabele kosten" if nl else "Eligible costs", "money"),
            Column("EU gepland" if nl else "EU planned", "money"),
            Column("EU vastgelegd" if nl else "EU committed", "money"),
            Column("EU betaald" if nl else "EU paid", "money"),
        ],
    )
    for p in report["projects"]:
        projects.rows.append(
            [
                p["code"],
                p["name"],
                p["eligible_costs"],
                p["eu_planned"],
                p["eu_committed"],
                p["eu_paid"],
            ]
        )
    # Every total as the funding service gives it (issue 19: the portal adds up no figures
    # of its own); `eu_planned` is empty only for a report that predates it.
    projects.rows.append(
        [
            "Totaal" if nl else "Total",
            "",
            report.get("eligible_costs"),
            report.get("eu_planned"),
            report.get("eu_committed"),
            report.get("eu_paid"),
        ]
    )
    return projects


def _eu_indicators(report: dict[str, Any], about: list[tuple[str, str]], language: str) -> Table:
    """Per EU code the value, the planned value and what counting once changed, as given."""
    nl = language == "nl"

    def t(key: str) -> str:
        return translate(key, language)

    return Table(
        t("outputs"),
        about,
        [
            Column("EU-code" if nl else "EU code"),
            Column(t("unit")),
            Column(t("value"), "number"),
            # the end targets the projects declared, added up by the funding service
            Column("Gepland" if nl else "Planned", "number"),
            Column(t("projects"), "number"),
            # enterprises counted once across projects (ADR 29): the value as reported, and
            # how many were counted by more than one project (empty where not counted once)
            Column("Zoals gerapporteerd" if nl else "As reported", "number"),
            Column(t("more_than_one_project").capitalize(), "number"),
            # no value where the funding service gives none across a break in series or a
            # unit change (ADR 32): a dash, and its note naming the indicator and the change
            Column("Toelichting" if nl else "Note"),
        ],
        [
            [
                i["eu_code"],
                label("unit", i["unit"], language) if i["unit"] else "",
                MISSING if i["value"] is None else i["value"],
                i.get("planned"),
                i["projects"],
                i.get("reported_value"),
                i.get("more_than_one_project"),
                i.get("note") or "",
            ]
            for i in report["indicators"]
        ],
    )


def _pending(
    report: dict[str, Any],
    about: list[tuple[str, str]],
    language: str,
    name_of: Callable[[str], str],
) -> Table:
    """What awaited review at the cut-off, per project and indicator, by name."""
    nl = language == "nl"

    def t(key: str) -> str:
        return translate(key, language)

    return Table(
        "Wachtend op beoordeling" if nl else "Awaiting review",
        about,
        [
            Column("Code"),
            Column(t("indicator")),
            Column("EU-code" if nl else "EU code"),
            Column(t("unit")),
            Column(t("reports"), "number"),
            Column(t("value"), "number"),
            Column(t("flagged_reports").capitalize(), "number"),
        ],
        [
            [
                p["code"],
                name_of(p["indicator_code"]),
                p["eu_code"],
                label("unit", p["unit"], language) if p.get("unit") else "",
                p["pending_reports"],
                p["pending_value"],
                p.get("flagged_reports"),
            ]
            for p in report.get("pending", [])
        ],
    )
