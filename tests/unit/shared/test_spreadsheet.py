"""Exports cannot smuggle formulas into staff's spreadsheets."""

from decimal import Decimal

from shared.spreadsheet import safe_cell, xlsx_cell


def test_text_that_would_run_as_a_formula_is_kept_as_text() -> None:
    for attack in ("=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1"):
        assert safe_cell(attack) == "'" + attack
    assert safe_cell("IBDO") == "IBDO"
    assert safe_cell("Drents Ondernemer 2019: één") == "Drents Ondernemer 2019: één"  # unicode kept
    assert xlsx_cell(Decimal("1705.5")) == 1705.5 and xlsx_cell(-3) == -3
