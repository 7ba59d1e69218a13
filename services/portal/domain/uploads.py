"""An upload's preview: the KPI service's dry run of a file's rows, told as the rows that
would be stored and those that would not, and the rows to store carried to the next form.

The preview is a page, not a script: the rows to store travel in a hidden field of the
"store" form (the service checks every one again when they are stored), so it works
without JavaScript and under the portal's strict Content-Security-Policy.
"""

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.portal.domain.views import Upload, UploadError
from services.portal.i18n import label


@dataclass(frozen=True)
class PreviewRow:
    """A row the dry run accepted: what it says, and what storing it would do."""

    row: int
    project: str
    indicator: str
    period: str
    value: str
    outcome: str  # new, a revision, or unchanged, in the user's language
    flags: list[str]  # plausibility flags, in the user's language


def accepted(
    upload: Upload, result: Mapping[str, Any], language: str, name_of: Callable[[str], str] = str
) -> list[PreviewRow]:
    """The rows the batch answer accepted, in file order, each indicator by its name."""
    rows = []
    for item in result.get("results", []):
        if item.get("status", 500) >= 300:
            continue
        sent, report = upload.items[item["index"]], item.get("report") or {}
        value = sent.get("value")
        if value is None and sent.get("numerator") is not None:
            value = f"{sent.get('numerator')} / {sent.get('denominator')}"
        rows.append(
            PreviewRow(
                row=upload.rows[item["index"]],
                project=str(sent.get("project", "")),
                indicator=name_of(str(sent.get("indicator", ""))),
                period=str(sent.get("period", "")),
                value="" if value is None else str(value),
                outcome=label("intake_outcome", report.get("outcome"), language),
                flags=[label("flag", f, language) for f in report.get("flags") or []],
            )
        )
    return rows


def to_store(upload: Upload, result: Mapping[str, Any]) -> Upload:
    """The rows the dry run accepted, with their file rows (unchanged ones too: storing
    them again changes nothing, and the answer then says so)."""
    taken = [r["index"] for r in result.get("results", []) if r.get("status", 500) < 300]
    return Upload([upload.items[i] for i in taken], [upload.rows[i] for i in taken])


def encode(upload: Upload) -> str:
    """The rows to store, as the hidden field of the store form carries them."""
    return json.dumps({"items": upload.items, "rows": upload.rows}, separators=(",", ":"))


def decode(text: str) -> Upload:
    """The store form's rows back; anything else (an edited page) is an UploadError."""
    try:
        data = json.loads(text)
        items, rows = data["items"], data["rows"]
    except (ValueError, TypeError, KeyError) as exc:
        raise UploadError("the rows to store are not readable; upload the file again") from exc
    if (
        not isinstance(items, list)
        or not isinstance(rows, list)
        or len(items) != len(rows)
        or not items
        or not all(isinstance(i, dict) for i in items)
        or not all(isinstance(r, int) for r in rows)
    ):
        raise UploadError("the rows to store are not readable; upload the file again")
    return Upload(items, rows)
