"""Cells for CSV and XLSX exports that spreadsheet programs cannot mistake for formulas.

A name like `=cmd|'/c calc'!A1` typed by anyone who may name a project or organisation
would run as a formula when staff open the export (CSV/formula injection). Text that
starts with = + - @ or a tab or carriage return is prefixed with an apostrophe; numbers
stay numbers.
"""

from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_cell(value: Any) -> Any:
    """As `safe_cell`, with exact decimals written as numbers."""
    if isinstance(value, Decimal):
        return float(value)
    return safe_cell(value)
