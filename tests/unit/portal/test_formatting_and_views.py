"""The portal's formatting (Dutch and English) and view models, without a browser."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.portal.domain import formatting, views
from services.portal.domain.charts import Series, line_chart, nice_ticks

D = Decimal


@pytest.mark.parametrize(
    ("value", "nl", "en"),
    [
        (1705, "1.705", "1,705"),
        (D("26.4"), "26,4", "26.4"),
        (D("-1234567.891"), "-1.234.567,89", "-1,234,567.89"),
        (0, "0", "0"),
    ],
)
def test_numbers_are_written_the_way_each_language_writes_them(
    value: object, nl: str, en: str
) -> None:
    assert formatting.number(value, "nl") == nl  # type: ignore[arg-type]
    assert formatting.number(value, "en") == en  # type: ignore[arg-type]


def test_money_percentages_dates_and_missing_values() -> None:
    assert formatting.money(D("12500"), "nl") == "€ 12.500,00"
    assert formatting.money(D("12500"), "en") == "€12,500.00"
    assert formatting.percent(D("113.666"), "nl") == "113,7%"
    assert formatting.share(D("0.475"), "en") == "47.5%"
    assert formatting.day(date(2019, 12, 31), "nl") == "31 dec 2019"
    assert formatting.day("2026-03-01T10:00:00Z", "en") == "1 Mar 2026"
    # the day in Amsterdam, not in UTC: 23:30 UTC on New Year's Eve is already 2027 there
    assert formatting.day("2026-12-31T23:30:00+00:00", "nl") == "1 jan 2027"
    assert formatting.moment("2026-07-01T22:15:00Z", "nl") == "2 jul 2026 00:15"  # summer time
    assert formatting.number(None) == formatting.money(None) == formatting.MISSING


def test_output_rows_add_targets_take_the_worst_status_and_keep_approved_apart() -> None:
    aggregates: list[dict[str, Any]] = [
        {
            "indicator_code": "REACHED",
            "unit": "enterprises",
            "kind": "flow",
            "total": {"value": "1705"},
        },
        {"indicator_code": "TEXT", "unit": "text", "kind": "qualitative", "total": None},
        {
            "indicator_code": "SHARE",
            "unit": "%",
            "kind": "ratio",
            "total": {"value": None, "share_percent": "40"},
        },
    ]
    progress = [
        {"indicator_code": "REACHED", "target_value": "1000", "status": "on_track"},
        {"indicator_code": "REACHED", "target_value": "500", "status": "at_risk"},
    ]
    rows = views.output_rows(
        aggregates,
        [{"indicator_code": "REACHED", "kind": "flow", "total": {"value": "800"}}],
        progress,
    )
    assert [r.indicator for r in rows] == ["REACHED", "SHARE"]  # with a target first; text left out
    reached = rows[0]
    assert (reached.realised, reached.approved, reached.target) == (D(1705), D(800), D(1500))
    assert reached.percent_of_target == D("113.7") and reached.status == "at_risk"
    assert rows[1].realised == D(40) and rows[1].approved is None
    assert views.headline(rows) is reached


def test_cumulative_series_stop_where_reporting_stops() -> None:
    periods = views.quarters(2019, 2019)
    flows = views.cumulative({"2019-Q1": D(9), "2019-Q2": D(10)}, periods, "flow")
    assert flows == [("2019-Q1", D(9)), ("2019-Q2", D(19)), ("2019-Q3", None), ("2019-Q4", None)]
    stock = views.cumulative({"2019-Q2": D(5)}, periods, "stock")
    assert stock[0] == ("2019-Q1", None) and stock[1] == ("2019-Q2", D(5))
    assert views.trajectory(periods, D(20))[-1] == ("2019-Q4", D(20))


def test_an_upload_maps_each_problem_to_its_row_and_column() -> None:
    upload = views.parse_upload(
        b"project;indicator;period;value\nIBDO;MEETINGS;2019-Q1;3,5\nIBDO;MEETINGS;2019-Q2;lots\n\n",
        "reports.csv",
    )
    assert upload.items[0]["value"] == "3.5" and upload.rows == [2, 3]
    result = {
        "results": [
            {"index": 0, "status": 201},
            {
                "index": 1,
                "status": 422,
                "errors": [{"loc": ["body", "value"], "msg": "not a number"}],
            },
        ]
    }
    assert views.row_problems(upload, result) == [views.RowProblem(3, "value", "not a number")]
    with pytest.raises(views.UploadError, match="missing columns: period"):
        views.parse_upload(b"project,indicator,value\n", "x.csv")


def test_the_chart_is_self_contained_svg_with_its_title() -> None:
    svg = line_chart(
        "REACHED",
        ["2019-Q1", "2019-Q2"],
        [Series("realised", [("2019-Q1", D(1)), ("2019-Q2", D(3))], "realised")],
    ).svg
    assert (
        svg.startswith("<svg")
        and "<title>REACHED</title>" in svg
        and "http" not in svg.replace("http://www.w3.org", "")
    )


def test_axes_have_round_ticks_from_zero_and_their_labels() -> None:
    assert nice_ticks(D(1705)) == [D(0), D(500), D(1000), D(1500), D(2000)]
    assert nice_ticks(D(7)) == [D(0), D(2), D(4), D(6), D(8)]
    assert nice_ticks(D("0.9")) == [D(0), D("0.25"), D("0.5"), D("0.75"), D(1)]
    svg = line_chart(
        "Bereikt",
        ["2019-Q1", "2019-Q2"],
        [Series("Ingediend", [("2019-Q1", D(1)), ("2019-Q2", D(1705))], "realised")],
        x_label="Kwartaal",
        y_label="ondernemers",
    ).svg
    assert ">Kwartaal</text>" in svg and ">ondernemers</text>" in svg and ">2000</text>" in svg
