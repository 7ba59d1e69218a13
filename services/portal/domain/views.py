"""View models: what a page shows, computed from the services' answers. Pure functions, so
the rules of presentation (which output is a goal's headline, how a target trajectory
runs, which row of an upload a problem belongs to) are tested without a browser."""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

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
    """Realised to date per quarter: flows add up, stocks and ratios show their value; after
    the last reported quarter nothing is drawn (not known is not zero)."""
    reported = [p for p in periods if p in series]
    last = reported[-1] if reported else None
    total = Decimal(0)
    out: list[tuple[str, Decimal | None]] = []
    for p in periods:
        if last is None or p > last:
            out.append((p, None))
            continue
        if kind == "flow":
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
) -> list[OutputRow]:
    """Per indicator of a goal: realised (each project once), approved, the summed project
    targets and the projects' statuses."""
    approved_by = {a["indicator_code"]: _total(a) for a in approved}
    targets: dict[str, Decimal] = {}
    statuses: dict[str, dict[str, int]] = {}
    for line in progress:
        code = line["indicator_code"]
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
        )
        for a in aggregates
        if a.get("kind") != "qualitative"
    ]
    return sorted(rows, key=lambda r: (r.target is None, r.indicator))


def _total(aggregate: Mapping[str, Any]) -> Decimal | None:
    total = aggregate.get("total") or {}
    value = total.get("value")
    if aggregate.get("kind") == "ratio":
        value = total.get("share_percent")
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


def parse_upload(content: bytes, filename: str) -> Upload:
    """Rows of a CSV (`,` or `;`) or XLSX with the template's columns, as report items."""
    if filename.lower().endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception as exc:
            raise UploadError(f"not a readable XLSX file ({type(exc).__name__})") from exc
        table = [list(r) for r in sheet.iter_rows(values_only=True)] if sheet else []
    else:
        text = content.decode("utf-8-sig", errors="replace")
        delimiter = (
            ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
        )
        table = [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]
    if not table:
        raise UploadError("the file is empty")
    header = [str(h or "").strip().lower() for h in table[0]]
    missing = [c for c in ("project", "indicator", "period", "value") if c not in header]
    if missing:
        raise UploadError(f"missing columns: {', '.join(missing)}")
    items, rows = [], []
    for number, row in enumerate(table[1:], start=2):
        cells = {h: row[i] if i < len(row) else None for i, h in enumerate(header) if h}
        if not any(str(v or "").strip() for v in cells.values()):
            continue
        item: dict[str, Any] = {
            "project": str(cells.get("project") or "").strip(),
            "indicator": str(cells.get("indicator") or "").strip(),
            "period": str(cells.get("period") or "").strip(),
            "value": _number(cells.get("value")),
        }
        if cells.get("comment"):
            item["comment"] = str(cells["comment"])
        items.append(item)
        rows.append(number)
    return Upload(items, rows)


def _number(cell: Any) -> Any:
    """Numbers as the intake expects them; a Dutch decimal comma is understood."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    if isinstance(cell, int | float | Decimal):
        return str(cell)
    return str(cell).strip().replace(",", ".")


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    message: str


def row_problems(upload: Upload, result: Mapping[str, Any]) -> list[RowProblem]:
    """The batch answer's errors, placed at the file's row and column."""
    problems = []
    for item in result.get("results", []):
        if item.get("status", 500) < 300:
            continue
        row = upload.rows[item["index"]]
        for error in item.get("errors") or [{"loc": [], "msg": "refused"}]:
            loc = [str(x) for x in error.get("loc", []) if x not in ("body",)]
            column = next(
                (c for c in loc if c in UPLOAD_COLUMNS or c == "value"), loc[-1] if loc else ""
            )
            problems.append(RowProblem(row, column, str(error.get("msg", ""))))
    return problems


def template_csv() -> str:
    return ",".join(UPLOAD_COLUMNS) + "\nIBDO,ENTREPRENEURS_REACHED,2026-Q1,120,\n"
