"""Statistics files (CSV or XLSX) read into measurements, every bad cell named at once."""

import contextlib
import csv
import io
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import load_workbook
from pydantic import ValidationError

from services.kpi.schemas import MeasurementIn
from shared.errors import FieldProblem, InvalidInputError

IMPORT_COLUMNS = ("outcome", "period", "value", "source", "published_on")


def parse_statistics(content: bytes, filename: str) -> list[MeasurementIn]:
    """Rows of a CSV or XLSX file (columns outcome, period, value, source, published_on).

    Every bad cell is reported by row (the header is row 1) and column, all at once.
    """
    rows = _xlsx_rows(content) if filename.lower().endswith(".xlsx") else _csv_rows(content)
    if not rows:
        raise InvalidInputError.single(("file",), "the file has no rows")
    header = [str(h or "").strip().lower() for h in rows[0]]
    absent = [c for c in IMPORT_COLUMNS if c not in header]
    if absent:
        raise InvalidInputError.single(("file",), f"missing columns: {', '.join(absent)}")
    items, problems = [], []
    for number, row in enumerate(rows[1:], start=2):
        if any(str(c or "").strip() for c in row):
            try:
                items.append(MeasurementIn.model_validate(_cleaned(_cells(header, row))))
            except ValidationError as exc:
                problems += [
                    FieldProblem(("file", number, str(e["loc"][0])), e["msg"]) for e in exc.errors()
                ]
    if problems:
        raise InvalidInputError(problems)
    return items


def _cells(header: list[str], row: list[Any]) -> dict[str, Any]:
    """A row's import columns by name (a short row: the missing ones empty)."""
    return {
        name: row[header.index(name)] if header.index(name) < len(row) else None
        for name in IMPORT_COLUMNS
    }


def _cleaned(cells: dict[str, Any]) -> dict[str, Any]:
    out = {k: (v.strip() if isinstance(v, str) else v) for k, v in cells.items()}
    if isinstance(out["published_on"], date):
        out["published_on"] = out["published_on"].isoformat()[:10]
    if isinstance(out["value"], float):
        out["value"] = str(out["value"])
    if isinstance(out["value"], str):
        with contextlib.suppress(InvalidOperation):  # pydantic then names the bad value
            out["value"] = Decimal(out["value"].replace(",", "."))
    return out


def _refuse_nul(text: str) -> None:
    """PostgreSQL cannot store the NUL character in text, and no statistics file means it."""
    if "\x00" in text:
        raise InvalidInputError.single(("file",), "the file contains the NUL character")


def _csv_rows(content: bytes) -> list[list[Any]]:
    text = content.decode("utf-8-sig", errors="replace")
    _refuse_nul(text)
    try:
        dialect: Any = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except (csv.Error, IndexError):  # one column, or nothing: read it as plain CSV
        dialect = csv.excel
    return [list(r) for r in csv.reader(io.StringIO(text), dialect)]


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    try:
        sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
    except Exception as exc:
        raise InvalidInputError.single(("file",), f"not a readable XLSX file: {exc}") from exc
    if sheet is None:
        return []
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    _refuse_nul("".join(v for r in rows for v in r if isinstance(v, str)))
    return rows
