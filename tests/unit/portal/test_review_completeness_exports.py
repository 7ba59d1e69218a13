"""The portal's view models as a programme manager would check them: the review queue's
context and paging, completeness, Dutch numbers in uploads, exports Excel opens, and
refusals in words."""

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from services.portal import pages
from services.portal.domain import completeness, exports, problems, review, views
from services.portal.domain.catalogue import Names
from services.portal.domain.charts import Series, line_chart
from services.portal.pages.programme import LineView, counted
from services.portal.pages.project import indicator_periods
from services.portal.routes.exports import overview_tables

D = Decimal

PROJECT = "11111111-1111-1111-1111-111111111111"
NAMES = Names.of(
    "nl",
    indicators=[{"code": "REACHED", "name_en": "Reached", "name_nl": "Bereikt", "unit": "p"}],
    projects=[{"id": PROJECT, "code": "IBDO", "name": "Ik Ben", "goal_ids": []}],
)


def report(period: str, version: int, value: int, state: str = "submitted", **extra: Any) -> Any:
    return {
        "id": f"r-{period}-{version}",
        "project_id": PROJECT,
        "indicator_code": "REACHED",
        "period": period,
        "dimension_key": "",
        "version": version,
        "value": value,
        "state": state,
        "submitted_by": "partner",
        "submitted_at": "2026-01-05T10:00:00Z",
        **extra,
    }


def test_a_review_row_shows_target_total_previous_period_and_previous_version() -> None:
    history = [
        report("2019-Q3", 1, 100, "approved"),
        report("2019-Q4", 1, 150, "returned"),
        report("2019-Q4", 2, 180, flags=["jump"]),
    ]
    kpis = {PROJECT: [{"indicator_code": "REACHED", "target_value": 500, "period_targets": {}}]}
    progress = {
        PROJECT: [
            {
                "indicator_code": "REACHED",
                "kind": "flow",
                "series": [
                    {"period": "2019-Q3", "value": 100},
                    {"period": "2019-Q4", "value": 180},
                ],
            }
        ]
    }
    [row] = review.review_rows([history[-1]], {PROJECT: history}, kpis, progress, NAMES)
    assert row.indicator == "Bereikt" and row.project_code == "IBDO"
    assert (row.value, row.target, row.running_total) == (D(180), D(500), D(280))
    assert (row.previous_period, row.previous_version, row.change) == (D(100), D(150), D(30))
    assert row.flags == ["jump"] and [v.version for v in row.thread] == [1, 2]


def test_the_queue_filters_sorts_and_stays_on_the_last_page_after_deciding() -> None:
    queue = [report(f"20{y}-Q{q}", 1, q) for y in (17, 18, 19) for q in (1, 2, 3, 4)]
    rows = review.review_rows(queue, {}, {}, {}, NAMES)
    page = review.select(rows, review.Filters(period="2019-Q2"), NAMES)
    assert [r.period for r in page.rows] == ["2019-Q2"]
    last = review.select(rows, review.Filters(sort="period", page=9), NAMES, size=5)
    assert (last.page, last.pages, [r.period for r in last.rows]) == (3, 3, ["2019-Q3", "2019-Q4"])
    assert review.Filters(project="a b", page=2).query() == "project=a%20b&page=2"


def test_completeness_lists_ended_quarters_without_a_report_due_or_overdue() -> None:
    project = {
        "id": PROJECT,
        "code": "IBDO",
        "name": "Ik Ben",
        "status": "running",
        "start_date": "2019-01-01",
        "end_date": "2019-12-31",
    }
    kpis = {PROJECT: [{"indicator_code": "REACHED", "frequency": "quarterly"}]}
    reported = {(PROJECT, "REACHED", "2019-Q1")}
    found = completeness.missing_reports([project], kpis, reported, NAMES, date(2019, 10, 15), 30)
    assert [(m.period, m.state, m.due_on) for m in found] == [
        ("2019-Q2", "overdue", date(2019, 7, 30)),
        ("2019-Q3", "due", date(2019, 10, 30)),
    ]
    assert list(completeness.by_quarter(found)) == ["2019-Q3", "2019-Q2"]


def test_uploads_read_numbers_the_way_the_language_writes_them() -> None:
    content = "project;indicator;period;value;gender\nIBDO;REACHED;2019-Q4;1.705;female\n"
    dutch = views.parse_upload(content.encode(), "r.csv", "nl")
    assert dutch.items[0]["value"] == "1705" and dutch.items[0]["disaggregation"] == {
        "gender": "female"
    }
    english = views.parse_upload(content.replace("1.705", "1,705.5").encode(), "r.csv", "en")
    assert english.items[0]["value"] == "1705.5"
    assert views.parse_upload(b"project,indicator,period,value\nA,B,2019,12,5", "r.csv", "en")


def test_the_dutch_template_opens_in_columns_and_its_sample_rows_read_back() -> None:
    project = {"code": "IBDO", "start_date": "2016-01-01", "end_date": "2019-12-31"}
    kpis: list[dict[str, Any]] = [
        {"indicator_code": "REACHED", "frequency": "quarterly", "dimensions": ["gender"]},
        {"indicator_code": "SHARE", "frequency": "yearly"},
    ]
    indicators = {"REACHED": {"kind": "flow"}, "SHARE": {"kind": "ratio"}}
    rows = views.template_rows(project, kpis, indicators, date(2019, 8, 20))
    dutch = views.template_csv(rows, dutch=True)
    assert dutch.startswith("\ufeffproject;indicator;period;value;numerator;denominator;")
    assert dutch.splitlines()[0].endswith(";gender")  # a column per disaggregation dimension
    english = views.template_csv(rows)
    assert english.startswith("project,indicator,period,") and "\ufeff" not in english
    for text, language in ((dutch, "nl"), (english, "en")):
        read = views.parse_upload(text.encode("utf-8"), "template.csv", language)
        assert read.items == [
            {"project": "IBDO", "indicator": "REACHED", "period": "2019-Q2", "value": "0"},
            {
                "project": "IBDO",
                "indicator": "SHARE",
                "period": "2018",
                "value": None,
                "numerator": "1",
                "denominator": "2",
            },
        ]


def test_exports_open_in_dutch_excel_and_keep_numbers_as_numbers() -> None:
    table = exports.Table(
        "Resultaten",
        [("Programma", "Koers")],
        [
            exports.Column("Naam"),
            exports.Column("Waarde", "number"),
            exports.Column("%", "percent"),
        ],
        [["=cmd", D("1705.5"), D("113.7")]],
    )
    dutch = exports.csv_bytes([table], dutch=True)
    assert dutch.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(dutch.decode("utf-8-sig")), delimiter=";"))
    assert rows[-1] == ["'=cmd", "1705,5", "113,7"]  # never a formula; a decimal comma
    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes([table]))).active
    assert sheet is not None
    value, percent = sheet.cell(row=5, column=2), sheet.cell(row=5, column=3)
    assert value.value == 1705.5 and percent.value == 1.137 and percent.number_format == "0.0%"
    name = exports.file_name(
        "EU-rapportage", "efro", "Koers 2016-2019", made=date(2026, 12, 5), extension="csv"
    )
    assert name == "eu-rapportage-efro-koers-2016-2019-2026-12-05.csv"


def test_a_refusal_reads_as_a_sentence_in_dutch() -> None:
    detail = [
        {"loc": ["body", "value"], "msg": "Input should be a valid decimal"},
        {"loc": ["body", "period"], "msg": "'2019-Q9' is not a period; use 2024-Q1"},
    ]
    assert problems.readable(detail, "nl") == (
        "waarde: is geen getal; periode: '2019-Q9' is geen periode; schrijf 2024-Q1 voor een "
        "kwartaal of 2024 voor een jaar"
    )


def test_a_single_value_is_drawn_as_a_point_with_its_figure_in_the_table() -> None:
    chart = line_chart(
        "Bereikt", ["2019-Q4"], [Series("Ingediend", [("2019-Q4", D(5))], "realised")]
    )
    assert "<circle" in chart.svg and chart.rows == [("2019-Q4", [D(5)])]


def test_a_total_reported_once_is_not_drawn_as_quarters_at_zero_before_it() -> None:
    drawn = views.cumulative({"2019-Q4": D(9)}, ["2019-Q2", "2019-Q3", "2019-Q4"], "flow")
    assert drawn == [("2019-Q2", None), ("2019-Q3", None), ("2019-Q4", D(9))]


def test_the_overview_export_says_what_it_covers_and_names_units() -> None:
    line = {"id": "l1", "name": "Concurrentiekracht", "code": "L1"}
    row = views.OutputRow("REACHED", "participants", "flow", Decimal(12), Decimal(10), Decimal(40))
    scope = pages.Scope("2019-Q1", "2019-Q4", "l1", "efro", approved_only=False)
    data = {
        "programme": {"name": "Economische Koers"},
        "tree": [line, {"id": "l2", "name": "Arbeidsmarkt"}],
        "scope": scope,
        "lines": [
            LineView(
                line, [{"fund": "efro", "allocated": 5, "committed": 4, "paid": 1}], [row], None
            )
        ],
    }
    outputs, money = overview_tables(data, "nl")
    about = dict(outputs.about)
    assert about["Programmalijn"] == "Concurrentiekracht" and about["Fonds"] == "EFRO"
    assert about["Perioden"] == "2019-Q1 \u2013 2019-Q4"
    assert outputs.rows == [
        [
            "Concurrentiekracht",
            "REACHED",
            "deelnemers",
            Decimal(12),
            Decimal(10),
            Decimal(40),
            Decimal("30.0"),
            "",
        ]
    ]
    assert money.rows == [["Concurrentiekracht", "EFRO", 5, 4, 1]]
    english = dict(overview_tables({**data, "scope": pages.Scope()}, "en")[0].about)
    assert english["Programme line"] == "All programme lines" and english["Fund"] == "All funds"


def test_a_kpis_periods_show_target_reported_approved_to_date_and_versions() -> None:
    """Akvo RSR's indicator periods: per period the target, the current version's value, the
    approved one, the total to date and the state, with every version behind it."""

    def version(period: str, n: int, state: str, value: int, **extra: Any) -> dict[str, Any]:
        return {
            "id": f"{period}-{n}",
            "indicator_code": "REACHED",
            "period": period,
            "version": n,
            "state": state,
            "value": str(value),
            "submitted_by": "organisation:o1",
            **extra,
        }

    reports = [
        version("2019-Q1", 1, "approved", 10),
        version("2019-Q2", 1, "returned", 50, review_reason="cumulative, not the quarter"),
        version("2019-Q2", 2, "submitted", 5, flags=["jump"]),
        version("2019-Q2", 1, "approved", 3, dimension_key="gender=f"),  # a breakdown: apart
    ]
    kpi = {
        "indicator_code": "REACHED",
        "kind": "flow",
        "series": [{"period": "2019-Q1", "value": "10"}, {"period": "2019-Q2", "value": "5"}],
    }
    kpis = [{"indicator_code": "REACHED", "period_targets": {"2019-Q2": "20", "2019-Q3": "20"}}]
    q1, q2, q3 = indicator_periods(kpi, reports, kpis)
    assert (q1.period, q1.target, q1.reported, q1.approved, q1.cumulative, q1.state) == (
        "2019-Q1",
        None,
        D(10),
        D(10),
        D(10),
        "approved",
    )
    assert (q2.target, q2.reported, q2.approved, q2.cumulative, q2.state, q2.flags) == (
        D(20),
        D(5),
        None,
        D(15),
        "submitted",
        ["jump"],
    )
    assert [(v.version, v.state, v.review_reason) for v in q2.versions] == [
        (1, "returned", "cumulative, not the quarter"),
        (2, "submitted", None),
    ]
    assert (q3.target, q3.reported, q3.state, q3.versions) == (D(20), None, None, [])


def test_approved_only_reads_outputs_and_their_share_of_the_target_from_approved_values() -> None:
    current = [
        {"indicator_code": "REACHED", "kind": "flow", "total": {"value": "1705"}},
        {"indicator_code": "MEETINGS", "kind": "flow", "total": {"value": "8"}},
    ]
    approved = [{"indicator_code": "REACHED", "kind": "flow", "total": {"value": "300"}}]
    progress = [
        {"indicator_code": "REACHED", "target_value": "1500"},
        {"indicator_code": "MEETINGS", "target_value": "10"},
    ]
    only = pages.Scope(approved_only=True)
    rows = {
        r.indicator: r
        for r in views.output_rows(counted(current, approved, only), approved, progress)
    }
    assert (rows["REACHED"].realised, rows["REACHED"].percent_of_target) == (D(300), D("20.0"))
    # nothing approved yet: still listed, with no figure and no share
    assert (rows["MEETINGS"].realised, rows["MEETINGS"].percent_of_target) == (None, None)
    everything = views.output_rows(counted(current, approved, pages.Scope()), approved, progress)
    assert {r.indicator: r.percent_of_target for r in everything} == {
        "REACHED": D("113.7"),
        "MEETINGS": D("80.0"),
    }
