"""View models: what a page shows, computed from the services' answers. Pure functions, so
the rules of presentation (which output is a goal's headline, how a target trajectory
runs, which row of an upload a problem belongs to) are tested without a browser."""

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from services.portal.domain import problems as problems_text
from services.portal.i18n import label
from shared.kinds import Reported, facts_of

UPLOAD_COLUMNS = ("project", "indicator", "period", "value", "comment")


def quarters(first_year: int, last_year: int) -> list[str]:
    return [f"{y}-Q{q}" for y in range(first_year, last_year + 1) for q in range(1, 5)]


def trajectory(periods: Sequence[str], target: Decimal) -> list[tuple[str, Decimal]]:
    """A straight line from 0 before the first period to the target at the last."""
    n = len(periods)
    return [(p, (target * (i + 1) / n).quantize(Decimal("0.01"))) for i, p in enumerate(periods)]


def cumulative(
    series: Mapping[str, Decimal], periods: Sequence[str], kind: str
) -> list[tuple[str, Decimal | None]]:
    """Realised to date per quarter: where values add up (flows) their running sum, else
    (stocks, ratios) each quarter's value; before the first reported quarter and after the last
    nothing is drawn (not known is not zero: a project that reports its whole result once is
    not drawn as years at zero)."""
    reported = [p for p in periods if p in series]
    first, last = (reported[0], reported[-1]) if reported else (None, None)
    adds_up = facts_of(kind).adds_up
    total = Decimal(0)
    out: list[tuple[str, Decimal | None]] = []
    for p in periods:
        if last is None or first is None or p > last or p < first:
            out.append((p, None))
            continue
        if adds_up:
            total += series.get(p, Decimal(0))
            out.append((p, total))
        else:
            out.append((p, series.get(p)))
    return out


@dataclass(frozen=True)
class OutputRow:
    indicator: str
    unit: str
    kind: str
    realised: Decimal | None
    approved: Decimal | None
    target: Decimal | None
    statuses: dict[str, int] = field(default_factory=dict)  # status -> projects
    name: str = ""  # the indicator's name in the user's language
    projects: list[Mapping[str, Any]] = field(default_factory=list)  # each one's progress

    @property
    def percent_of_target(self) -> Decimal | None:
        if self.realised is None or not self.target:
            return None
        return (self.realised / self.target * 100).quantize(Decimal("0.1"))

    @property
    def status(self) -> str | None:
        """The worst status among the projects reporting it."""
        for status in ("off_track", "at_risk", "on_track"):
            if self.statuses.get(status):
                return status
        return None


def output_rows(
    aggregates: Iterable[Mapping[str, Any]],
    approved: Iterable[Mapping[str, Any]],
    progress: Iterable[Mapping[str, Any]],
    name_of: Callable[[str], str] = str,
) -> list[OutputRow]:
    """Per indicator of a goal: realised (each project once), approved, the summed project
    targets, the projects' statuses and each project's own line (which one is behind)."""
    approved_by = {a["indicator_code"]: _total(a) for a in approved}
    targets: dict[str, Decimal] = {}
    statuses: dict[str, dict[str, int]] = {}
    lines: dict[str, list[Mapping[str, Any]]] = {}
    for line in progress:
        code = line["indicator_code"]
        lines.setdefault(code, []).append(line)
        if line.get("target_value") is not None:
            targets[code] = targets.get(code, Decimal(0)) + Decimal(str(line["target_value"]))
        if line.get("status"):
            bucket = statuses.setdefault(code, {})
            bucket[line["status"]] = bucket.get(line["status"], 0) + 1
    rows = [
        OutputRow(
            indicator=a["indicator_code"],
            unit=a.get("unit", ""),
            kind=a.get("kind", "flow"),
            realised=_total(a),
            approved=approved_by.get(a["indicator_code"]),
            target=targets.get(a["indicator_code"]),
            statuses=statuses.get(a["indicator_code"], {}),
            name=name_of(a["indicator_code"]),
            projects=lines.get(a["indicator_code"], []),
        )
        for a in aggregates
        if facts_of(a.get("kind", "flow")).figure  # text has no figure to show
    ]
    return sorted(rows, key=lambda r: (r.target is None, r.indicator))


def _total(aggregate: Mapping[str, Any]) -> Decimal | None:
    """The total's figure: a value, or a ratio's share in percent."""
    figure = facts_of(aggregate.get("kind", "flow")).figure
    value = (aggregate.get("total") or {}).get(figure) if figure else None
    return None if value is None else Decimal(str(value))


def headline(rows: Sequence[OutputRow]) -> OutputRow | None:
    """The output a goal's chart shows: the first one with a target, else the first."""
    with_target = [r for r in rows if r.target]
    return with_target[0] if with_target else (rows[0] if rows else None)


def quarterly(aggregate: Mapping[str, Any]) -> dict[str, Decimal]:
    return {
        s["period"]: Decimal(str(s["value"]))
        for s in aggregate.get("series", [])
        if "-Q" in s["period"] and s.get("value") is not None
    }


@dataclass(frozen=True)
class Upload:
    items: list[dict[str, Any]]
    rows: list[int]  # the file row (header = 1) of each item


class UploadError(ValueError):
    pass


# Columns with a meaning of their own; any other named column is a disaggregation
# dimension (e.g. `gender`), its cells the category of the row's value.
KNOWN_COLUMNS = (
    "project",
    "indicator",
    "period",
    "value",
    "numerator",
    "denominator",
    "comment",
    "reason",
)


def parse_upload(content: bytes, filename: str, language: str = "nl") -> Upload:
    """Rows of a CSV (`,` or `;`) or XLSX with the template's columns, as report items.
    Numbers are read the way the user's language writes them ("1.705" is 1705 in Dutch)."""
    table = _table(content, filename)
    if not table:
        raise UploadError("the file is empty")
    header = [str(h or "").strip().lower() for h in table[0]]
    missing = [c for c in ("project", "indicator", "period") if c not in header]
    if missing:
        raise UploadError(f"missing columns: {', '.join(missing)}")
    items, rows = [], []
    for number, row in enumerate(table[1:], start=2):
        cells = {h: row[i] if i < len(row) else None for i, h in enumerate(header) if h}
        if not any(str(v or "").strip() for v in cells.values()):
            continue
        items.append(_item(cells, language))
        rows.append(number)
    return Upload(items, rows)


def _table(content: bytes, filename: str) -> list[list[Any]]:
    if filename.lower().endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as exc:
            raise UploadError(f"not a readable XLSX file ({type(exc).__name__})") from exc
        return [list(r) for r in sheet.iter_rows(values_only=True)] if sheet else []
    text = content.decode("utf-8-sig", errors="replace")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _item(cells: Mapping[str, Any], language: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "project": str(cells.get("project") or "").strip(),
        "indicator": str(cells.get("indicator") or "").strip(),
        "period": str(cells.get("period") or "").strip(),
    }
    for column in ("value", "numerator", "denominator"):
        if column in cells and (column == "value" or _filled(cells[column])):
            item[column] = _number(cells.get(column), language)
    for column in ("comment", "reason"):
        if _filled(cells.get(column)):
            item[column] = str(cells[column]).strip()
    dimensions = {
        h: str(v).strip() for h, v in cells.items() if h not in KNOWN_COLUMNS and _filled(v)
    }
    if dimensions:
        item["disaggregation"] = dimensions
    return item


def _filled(cell: Any) -> bool:
    return cell is not None and str(cell).strip() != ""


DUTCH_NUMBER = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
ENGLISH_NUMBER = re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")


def _number(cell: Any, language: str = "nl") -> Any:
    """A number as the intake expects it (1705.5), read as the language writes it: Dutch
    1.705,5 and English 1,705.5; a lone decimal comma (12,5) is a decimal in either. Text
    that is no number in either way is passed on as it is, for the intake to refuse."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, int | float | Decimal):
        return str(cell)
    text = str(cell).strip().replace(" ", "").replace("\u00a0", "")
    if language == "nl" and DUTCH_NUMBER.match(text):
        return text.replace(".", "").replace(",", ".")
    if ENGLISH_NUMBER.match(text):
        return text.replace(",", "")
    if re.match(r"^-?\d+,\d+$", text):
        return text.replace(",", ".")
    return text


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str


def row_problems(
    upload: Upload, result: Mapping[str, Any], language: str = "en"
) -> list[RowProblem]:
    """The batch answer's errors, placed at the file's row and column (named, and the
    message worded, in the user's language)."""
    problems = []
    for item in result.get("results", []):
        if item.get("status", 500) < 300:
            continue
        row = upload.rows[item["index"]]
        for error in item.get("errors") or [{"loc": [], "msg": "refused"}]:
            loc = [str(x) for x in error.get("loc", []) if x not in ("body",)]
            column = next((c for c in loc if c in KNOWN_COLUMNS), loc[-1] if loc else "")
            text = problems_text.message(str(error.get("msg", "")), language)
            problems.append(RowProblem(row, label("field", column, language), text))
    return problems


# A sample report of each way a kind is reported: value, numerator, denominator, comment.
SAMPLES = {
    Reported.VALUE: ("0", "", "", ""),
    Reported.RATIO: ("", "1", "2", ""),
    Reported.TEXT: ("", "", "", "..."),
}


def template_rows(
    project: Mapping[str, Any] | None,
    kpis: Sequence[Mapping[str, Any]],
    indicators: Mapping[str, Mapping[str, Any]],
    today: date,
) -> list[list[str]]:
    """The template: a header with a column per disaggregation dimension, and a sample row
    per KPI of the chosen project that its intake would accept (its code, the indicator, the
    last period of the project's run that is over, a value of the indicator's kind)."""
    dimensions = sorted({d for k in kpis for d in k.get("dimensions", [])})
    header = ["project", "indicator", "period", "value", "numerator", "denominator", "comment"]
    rows = [header + dimensions]
    if project is None:
        return rows
    for kpi in kpis:
        kind = (indicators.get(kpi["indicator_code"]) or {}).get("kind", "flow")
        period = sample_period(project, str(kpi.get("frequency", "quarterly")), today)
        value, numerator, denominator, comment = SAMPLES[facts_of(kind).reported]
        sample = [
            project["code"],
            kpi["indicator_code"],
            period,
            value,
            numerator,
            denominator,
            comment,
        ]
        rows.append(sample + ["" for _ in dimensions])
    return rows


def sample_period(project: Mapping[str, Any], frequency: str, today: date) -> str:
    """The last period of the project's run that has ended by today (or its first)."""
    start = date.fromisoformat(str(project["start_date"]))
    end = min(date.fromisoformat(str(project["end_date"])), today)
    if end < start:
        end = start
    if frequency == "yearly":
        return str(end.year if end.month == 12 and end.day == 31 else max(end.year - 1, start.year))
    year, quarter = end.year, (end.month - 1) // 3 + 1
    ends = (
        date(year, 12, 31) if quarter == 4 else date(year, 3 * quarter + 1, 1) - timedelta(days=1)
    )
    if ends > end and (year, quarter) > (start.year, (start.month - 1) // 3 + 1):
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return f"{year}-Q{quarter}"


def template_csv(rows: Sequence[Sequence[str]] | None = None, dutch: bool = False) -> str:
    """The template as the user's Excel opens it in columns: for Dutch pages separated by
    semicolons and with a byte-order mark (Dutch Excel reads a comma file as one column),
    else by commas. The upload reads either."""
    rows = rows or [list(UPLOAD_COLUMNS)]
    out = io.StringIO()
    csv.writer(out, delimiter=";" if dutch else ",", lineterminator="\r\n").writerows(rows)
    return ("\ufeff" if dutch else "") + out.getvalue()
