"""A transmission names the indicator definitions its figures counted under (ADR 30, 32),
as the KPI service announced them; a transmission sealed before definitions were named
keeps its bytes and still diffs. On SQLite and PostgreSQL."""

import csv
import hashlib
import io
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from services.funding.models import Transmission
from services.funding.transmission_files import sha256, xlsx_text
from shared.contracts import kpi
from tests.conftest import AuthHeaders
from tests.integration.funding.harness import FundingService
from tests.integration.funding.test_transmissions import (
    approved,
    deliver,
    files,
    funding,  # noqa: F401 (the fixture)
    output,
    submitted,
    transmit,
    url,
)

METHOD_V1 = "An enterprise receiving support in the form of a grant or advice."
METHOD_V2 = "An enterprise with a KvK number receiving support; counted once per programme."


def rco01(*versions: kpi.DefinitionVersion) -> kpi.IndicatorDefined:
    return kpi.IndicatorDefined(
        indicator_code="RCO01", counted_once="enterprise", definitions=list(versions)
    )


def version(
    number: int, start: date, name: str, methodology: str, change: str = "edit"
) -> kpi.DefinitionVersion:
    return kpi.DefinitionVersion(
        version=number,
        effective_from=start,
        name_en=name,
        name_nl=None,
        unit="enterprises",
        kind="flow",
        eu_code="RCO01",
        methodology=methodology,
        change="first" if number == 1 else change,
        conversion_factor=None,
        reason=None if number == 1 else "methodology sharpened",
        defined_by="catalogue" if number == 1 else "admin",
        defined_at=None if number == 1 else datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
    )


FIRST = version(1, date(1900, 1, 1), "Enterprises supported", METHOD_V1)
SECOND = version(2, date(2026, 10, 1), "Enterprises supported (all sizes)", METHOD_V2)
BROKEN = version(
    2, date(2026, 10, 1), "Enterprises supported (with a KvK number)", METHOD_V2, "break"
)


async def test_a_transmission_names_the_definition_in_force_for_each_period_it_counted(
    funding: FundingService,  # noqa: F811
    auth: AuthHeaders,
) -> None:
    q3 = submitted(funding, "5", period="2026-Q3")
    q4 = submitted(funding, "7", period="2026-Q4")
    await deliver(funding, rco01(FIRST), rco01(FIRST, SECOND), rco01(FIRST))  # older again
    await deliver(funding, q3, approved(funding, q3), q4, approved(funding, q4))
    await deliver(funding, output(funding, "12"))
    assert (await transmit(funding, auth)).status_code == 201

    sent = await files(funding, auth, 1)
    lines = json.loads(sent["json"])["definitions"]
    assert [
        (d["version"], d["effective_from"], d["name_en"], d["first_period"], d["last_period"])
        for d in lines
    ] == [
        (1, "1900-01-01", "Enterprises supported", "2026-Q3", "2026-Q3"),
        (2, "2026-10-01", "Enterprises supported (all sizes)", "2026-Q4", "2026-Q4"),
    ]
    assert [d["methodology"] for d in lines] == [METHOD_V1, METHOD_V2]
    assert lines[1]["methodology_sha256"] == hashlib.sha256(METHOD_V2.encode()).hexdigest()
    assert (lines[1]["unit"], lines[1]["kind"], lines[1]["eu_code"]) == (
        "enterprises",
        "flow",
        "RCO01",
    )
    csv_text = sent["csv"].decode()
    assert "indicator definitions" in csv_text
    assert "RCO01,2,2026-10-01,Enterprises supported (all sizes)" in csv_text
    sheet = load_workbook(io.BytesIO(sent["xlsx"]))["Definitions"]
    assert [c.value for c in sheet[1]][:3] == ["indicator_code", "version", "effective_from"]
    assert [sheet["B2"].value, sheet["B3"].value, sheet["D3"].value] == [
        1,
        2,
        "Enterprises supported (all sizes)",
    ]


async def test_an_indicator_not_announced_yet_is_named_as_its_outputs_said_it(
    funding: FundingService,  # noqa: F811
    auth: AuthHeaders,
) -> None:
    q4 = submitted(funding, "7")
    await deliver(funding, q4, approved(funding, q4), output(funding, "7"))
    assert (await transmit(funding, auth)).status_code == 201
    [line] = json.loads((await files(funding, auth, 1))["json"])["definitions"]
    assert (line["indicator_code"], line["unit"], line["version"], line["name_en"]) == (
        "RCO01",
        "enterprises",
        None,
        None,
    )


async def test_a_transmission_sealed_before_definitions_were_named_keeps_its_bytes(
    funding: FundingService,  # noqa: F811
    auth: AuthHeaders,
) -> None:
    """A record as the service sealed it before this change (definitions of four fields)
    comes back byte for byte, and the diff still reads it."""
    q4 = submitted(funding, "7")
    await deliver(funding, rco01(FIRST), q4, approved(funding, q4), output(funding, "7"))
    assert (await transmit(funding, auth)).status_code == 201
    record: dict[str, Any] = json.loads((await files(funding, auth, 1))["json"])
    record["definitions"] = [
        {"indicator_code": "RCO01", "eu_code": "RCO01", "kind": "flow", "unit": "enterprises"}
    ]
    record["transmission"].update(number=2, label="efro-2", as_of="2026-07-31")
    old = json.dumps(record, indent=2).encode()
    csv_bytes, xlsx_bytes = b"transmission,efro-2\r\n", (await files(funding, auth, 1))["xlsx"]
    async with funding.uow() as uow:
        uow.transmissions.add(
            Transmission(
                id=uuid.uuid4(),
                programme_id=funding.registry.programme,
                fund="efro",
                number=2,
                as_of=date(2026, 7, 31),
                correction=0,
                reason=None,
                sealed_by="tester",
                sealed_at=datetime(2026, 8, 1, 9, 0, tzinfo=UTC),
                document=old.decode(),
                csv=csv_bytes.decode(),
                xlsx=xlsx_text(xlsx_bytes),
                json_sha256=sha256(old),
                csv_sha256=sha256(csv_bytes),
                xlsx_sha256=sha256(xlsx_bytes),
            )
        )
        await uow.commit()
    assert await files(funding, auth, 2) == {"json": old, "csv": csv_bytes, "xlsx": xlsx_bytes}
    diff = await funding.client.get(url(funding, "/2/diff"), headers=auth())
    assert diff.status_code == 200, diff.text
    assert diff.json()["transmission"]["number"] == 2
    # the record said 7 enterprises at 31 July 2026; drawn today that cut-off counts none
    assert [
        (f["code"], Decimal(f["transmitted"]), f["today"])
        for f in diff.json()["figures"]
        if (f["scope"], f["field"]) == ("indicator", "value")
    ] == [("RCO01", Decimal(7), None)]


async def test_no_transmission_adds_up_periods_on_both_sides_of_a_break_in_series(
    funding: FundingService,  # noqa: F811
    auth: AuthHeaders,
) -> None:
    """Q3 counted under the old definition, Q4 under one declared a break in series: the
    seal is refused with the reason, and nothing is sealed; a cut-off before the break
    counts one side only and goes."""
    q3 = submitted(funding, "5", period="2026-Q3")
    q4 = submitted(funding, "7", period="2026-Q4")
    await deliver(funding, rco01(FIRST, BROKEN))
    await deliver(funding, q3, approved(funding, q3), q4, approved(funding, q4))
    await deliver(funding, output(funding, "12"))
    refused = await transmit(funding, auth)
    assert refused.status_code == 409, refused.text
    assert (
        refused.json()["indicator"],
        refused.json()["change"],
        refused.json()["effective_from"],
    ) == ("RCO01", "break", "2026-10-01")
    assert refused.json()["detail"] == (
        "RCO01's definition has a break in series on 2026-10-01: the report would add up "
        "2026-Q3..2026-Q3, counted under the definition before it, and 2026-Q4..2026-Q4, "
        "counted under the new one; no total is given across a break"
    )
    listed = await funding.client.get(url(funding), headers=auth())
    assert listed.status_code == 200 and listed.json() == []

    before_the_break = await transmit(funding, auth, as_of="2026-09-30", reason="Q3 only")
    assert before_the_break.status_code == 201, before_the_break.text
    [line] = json.loads((await files(funding, auth, 1))["json"])["definitions"]
    assert (line["version"], line["first_period"], line["last_period"]) == (1, "2026-Q3", "2026-Q3")


async def test_the_report_preview_gives_no_total_across_a_break_and_says_why(
    funding: FundingService,  # noqa: F811
    auth: AuthHeaders,
) -> None:
    """What the transmission refuses to seal, the preview does not show as a figure either:
    RCO01 without a value and with the note naming the indicator, the break and its date,
    in JSON, CSV and XLSX; a cut-off before the break shows its value."""
    q3 = submitted(funding, "5", period="2026-Q3")
    q4 = submitted(funding, "7", period="2026-Q4")
    await deliver(funding, rco01(FIRST, BROKEN))
    await deliver(funding, q3, approved(funding, q3), q4, approved(funding, q4))
    by_q3 = output(funding, "5")
    by_q3.outputs[0] = by_q3.outputs[0].model_copy(update={"as_of": date(2026, 9, 30)})
    await deliver(funding, by_q3, output(funding, "12"))
    preview = url(funding).removesuffix("/transmissions")
    note = (
        "RCO01's definition has a break in series on 2026-10-01: the report would add up "
        "2026-Q3..2026-Q3, counted under the definition before it, and 2026-Q4..2026-Q4, "
        "counted under the new one; no total is given across a break"
    )
    report = await funding.client.get(preview, params={"as_of": "2027-01-31"}, headers=auth())
    assert report.status_code == 200, report.text
    [rco01_total] = report.json()["indicators"]
    assert (rco01_total["eu_code"], rco01_total["value"], rco01_total["note"]) == (
        "RCO01",
        None,
        note,
    )
    assert rco01_total["projects"] == 1

    csv_text = (
        await funding.client.get(
            preview, params={"as_of": "2027-01-31", "format": "csv"}, headers=auth()
        )
    ).text
    rows = list(csv.reader(io.StringIO(csv_text)))
    columns = next(r for r in rows if r[:1] == ["eu_code"])
    [line] = [dict(zip(columns, r, strict=True)) for r in rows if r[:1] == ["RCO01"]]
    assert (line["value"], line["projects"], line["note"]) == ("", "1", note)
    xlsx = await funding.client.get(
        preview, params={"as_of": "2027-01-31", "format": "xlsx"}, headers=auth()
    )
    sheet = load_workbook(io.BytesIO(xlsx.content))["Indicators"]
    header, row = [[c.value for c in r] for r in sheet.iter_rows(max_row=2)]
    assert (row[header.index("value")], row[header.index("note")]) == (None, note)

    before = await funding.client.get(preview, params={"as_of": "2026-09-30"}, headers=auth())
    [q3_only] = before.json()["indicators"]
    assert (Decimal(q3_only["value"]), q3_only["note"]) == (Decimal(5), None)
