"""A transmission's files, rendered once when it is sealed and kept as they were sent:
the JSON record, and the EU report's CSV and XLSX with the transmission's own tables."""

import base64
import csv
import hashlib
import io
import uuid
from typing import Any

from services.funding import reports
from services.funding.schemas import TransmissionRecord
from shared.spreadsheet import safe_cell, xlsx_cell

VERSION_COLUMNS = ["report_id", "indicator_code", "period", "dimension_key", "version", "state"]
VERSION_COLUMNS += ["value", "counted"]
DEFINITION_COLUMNS = ["indicator_code", "version", "effective_from", "name_en", "name_nl"]
DEFINITION_COLUMNS += ["unit", "kind", "eu_code", "change", "conversion_factor"]
DEFINITION_COLUMNS += ["first_period", "last_period", "methodology_sha256", "methodology"]
RESTATEMENT_COLUMNS = ["code", "indicator_code", "period", "version", "kind", "value"]
RESTATEMENT_COLUMNS += ["previous_value", "reason", "submitted_by", "restates"]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _meta(record: TransmissionRecord) -> list[list[Any]]:
    t = record.transmission
    rows: list[list[Any]] = [
        ["transmission", t["label"], f"number {t['number']}"],
        ["correction", t["correction"], f"corrects {t['corrects']}" if t["corrects"] else ""],
        ["reason", t["reason"] or ""],
        ["sealed by", t["sealed_by"], t["sealed_at"]],
    ]
    return rows


def _versions(record: TransmissionRecord) -> list[list[Any]]:
    codes = {o.project_id: o.code for o in record.outputs}
    return [
        [codes.get(v.project_id, str(v.project_id)), *[getattr(v, c) for c in VERSION_COLUMNS]]
        for v in record.report_versions
    ]


def _definitions(record: TransmissionRecord) -> list[list[Any]]:
    return [[getattr(d, c) for c in DEFINITION_COLUMNS] for d in record.definitions]


def _restatements(record: TransmissionRecord) -> list[list[Any]]:
    return [
        [
            *[getattr(r, c) for c in RESTATEMENT_COLUMNS[:-1]],
            " ".join(r.restates),
        ]
        for r in record.restatements
    ]


def render_json(record: TransmissionRecord) -> bytes:
    return record.model_dump_json(indent=2).encode()


def render_csv(record: TransmissionRecord) -> bytes:
    """The transmission's header, the EU report as `reports.render_csv` writes it, then the
    indicator definitions it counted under, the report versions it counted and the
    restatements it carries."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([[safe_cell(v) for v in row] for row in _meta(record)])
    out.write(reports.render_csv(record.report))
    rows: list[list[Any]] = [
        [],
        ["indicator definitions"],
        DEFINITION_COLUMNS,
        *_definitions(record),
        [],
        ["report versions"],
        ["code", *VERSION_COLUMNS],
        *_versions(record),
        [],
        ["restatements carried"],
        RESTATEMENT_COLUMNS,
        *_restatements(record),
    ]
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return out.getvalue().encode()


def render_xlsx(record: TransmissionRecord) -> bytes:
    book = reports.workbook(record.report)
    sheets: list[tuple[str, list[list[Any]]]] = [
        ("Transmission", _meta(record)),
        ("Definitions", [DEFINITION_COLUMNS, *_definitions(record)]),
        ("Report versions", [["code", *VERSION_COLUMNS], *_versions(record)]),
        ("Restatements", [RESTATEMENT_COLUMNS, *_restatements(record)]),
    ]
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([xlsx_cell(str(v) if isinstance(v, uuid.UUID) else v) for v in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_text(data: bytes) -> str:
    """The workbook as stored (text, so the audit entry holds it as it holds the rest)."""
    return base64.b64encode(data).decode()


def xlsx_bytes(text: str) -> bytes:
    return base64.b64decode(text)
