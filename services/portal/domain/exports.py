"""Files people open in Excel: tables written as a standard CSV (comma, decimal point,
UTF-8), as a Dutch CSV (semicolon, decimal comma, UTF-8 with a byte-order mark, which is
what Dutch Excel reads without the import wizard), or as XLSX with number, money and
percentage formats; and file names that say what is in them.

A `Table` is a title, a few lines saying what it covers, typed columns and rows. Every
cell that is text goes through the spreadsheet guards (`shared.spreadsheet`), so a value
starting with `=` is never a formula.
"""

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Font

from services.portal.domain.formatting import MISSING
from shared.spreadsheet import safe_cell, xlsx_cell

Kind = Literal["text", "number", "money", "percent"]
FORMATS: dict[Kind, str] = {
    "text": "@",
    "number": "#,##0.##",
    "money": "#,##0.00",
    "percent": "0.0%",
}
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Column:
    title: str
    kind: Kind = "text"


@dataclass
class Table:
    title: str
    about: list[tuple[str, str]]  # (what, value): programme, period, cut-off …
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)


def _plain(value: Any, kind: Kind, dutch: bool) -> str:
    """A cell in a CSV: numbers unformatted but for the decimal mark; percentages as the
    number of percent (113.7), the way a reader types them."""
    if value is None or value == "":
        return ""
    if value == MISSING:  # no figure on purpose (a note beside says why): not a number
        return MISSING
    if kind in ("number", "money", "percent"):
        amount = Decimal(str(value))
        if kind == "money":
            amount = amount.quantize(Decimal("0.01"))
        elif kind == "percent":
            amount = amount.quantize(Decimal("0.1"))
        text = format(amount.normalize() if kind == "number" else amount, "f")
        return text.replace(".", ",") if dutch else text
    return str(safe_cell(value))


def csv_bytes(tables: Sequence[Table], dutch: bool) -> bytes:
    """Every table under its title and lines, a blank line between them."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if dutch else ",", lineterminator="\r\n")
    for n, table in enumerate(tables):
        if n:
            writer.writerow([])
        writer.writerow([safe_cell(table.title)])
        for what, value in table.about:
            writer.writerow([safe_cell(what), safe_cell(value)])
        writer.writerow([safe_cell(c.title) for c in table.columns])
        for row in table.rows:
            writer.writerow(
                [_plain(v, c.kind, dutch) for v, c in zip(row, table.columns, strict=True)]
            )
    text = out.getvalue()
    return ("\ufeff" + text).encode("utf-8") if dutch else text.encode("utf-8")


def _xlsx_value(value: Any, kind: Kind) -> Any:
    if value is None or value == "":
        return None
    if value == MISSING:
        return value
    if kind == "percent":
        return float(Decimal(str(value)) / 100)
    if kind in ("number", "money"):
        return float(Decimal(str(value)))
    return xlsx_cell(value)


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """A sheet per table: its lines on top, a bold header, typed and formatted cells."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title))
        sheet.append([xlsx_cell(table.title)])
        sheet.cell(row=1, column=1).font = Font(bold=True, size=13)
        for what, value in table.about:
            sheet.append([xlsx_cell(what), xlsx_cell(value)])
        sheet.append([])
        sheet.append([xlsx_cell(c.title) for c in table.columns])
        header = sheet.max_row
        for cell in sheet[header]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_xlsx_value(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
            for cell, column in zip(sheet[sheet.max_row], table.columns, strict=True):
                if column.kind != "text":
                    cell.number_format = FORMATS[column.kind]
        for n, column in enumerate(table.columns, start=1):
            width = max([len(column.title), *(len(str(r[n - 1] or "")) for r in table.rows)])
            sheet.column_dimensions[sheet.cell(row=header, column=n).column_letter].width = min(
                max(width + 2, 10), 60
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"


def slug(text: str) -> str:
    """A file-name part: lower case letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def file_name(*parts: str, made: date, extension: str) -> str:
    """e.g. eu-rapportage-efro-economische-koers-drenthe-2016-2019-peildatum-2019-07-31-
    gemaakt-2026-12-05.csv: what, whose, as of when, made when."""
    return "-".join(slug(p) for p in parts if p) + f"-{made.isoformat()}.{extension}"
