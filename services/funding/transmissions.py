"""Sealed transmissions of a fund's EU report (ADR 30): transmit, list and open (the diff
against today's figures is in transmission_diff).

A transmission is drawn and frozen in one transaction under the lock of its programme and
fund: the figures, the report versions behind them, the definitions and co-financing rules
in force, the late-data policy and the restatements it carries; its files are rendered once
and kept, and the row is only ever added (the audit entry of the transaction holds it all).
"""

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from services.funding import reports, transmission_files
from services.funding.domain import transmissions as rules
from services.funding.domain.funds import (
    EU_FUNDS,
    CeilingRule,
    FundSource,
    RateBasis,
    RegionCategory,
    ceiling_in_force,
)
from services.funding.models import (
    RealisedHistory,
    RealisedOutput,
    RestatementReplica,
    Transmission,
    TransmissionRestatement,
)
from services.funding.schemas import (
    CountedOutput,
    RestatementLine,
    RulesInForce,
    TransmissionIn,
    TransmissionPublic,
    TransmissionRecord,
)
from services.funding.services import UnknownError, require_programme
from services.funding.uow import FundingUnitOfWork
from shared.auth import StaffUser
from shared.contracts import funding as events
from shared.errors import InvalidInputError

Format = Literal["json", "csv", "xlsx"]
OutputKey = tuple[uuid.UUID, str]


@dataclass(frozen=True)
class LateDataPolicy:
    """Settings (FUNDING_LATE_DATA_*), sealed with each transmission and sent with it."""

    reason_required: bool = True
    notify: bool = True


class SealBrokenError(RuntimeError):
    """A stored file no longer matches the digest it was sealed with (a 500: someone wrote
    to the table around its triggers; `ops audit verify` and the audit entry tell more)."""


def transmission_lock(programme_id: uuid.UUID, fund: str) -> str:
    """A programme's transmissions of one fund: numbered one after another, a cut-off once."""
    return f"funding.transmissions:{programme_id}:{fund}"


def _fund(fund: FundSource) -> None:
    if fund not in EU_FUNDS:
        raise InvalidInputError.single(("fund",), "EU reports exist for efro and jtf only")


def public(row: Transmission) -> TransmissionPublic:
    return TransmissionPublic(
        id=row.id,
        programme_id=row.programme_id,
        fund=row.fund,
        number=row.number,
        label=rules.label(row.fund, row.number),
        as_of=row.as_of,
        correction=row.correction,
        corrects=row.corrects,
        reason=row.reason,
        sealed_by=row.sealed_by,
        sealed_at=row.sealed_at,
        json_sha256=row.json_sha256,
        csv_sha256=row.csv_sha256,
        xlsx_sha256=row.xlsx_sha256,
    )


# --- transmit -------------------------------------------------------------------------------


async def transmit(
    uow: FundingUnitOfWork,
    programme_id: uuid.UUID,
    fund: FundSource,
    data: TransmissionIn,
    user: StaffUser,
    policy: LateDataPolicy,
) -> TransmissionPublic:
    _fund(fund)
    async with uow:
        await require_programme(uow, programme_id)
        await uow.lock(transmission_lock(programme_id, fund))
        existing = await uow.transmissions.of_fund(programme_id, fund)
        numbering = rules.numbering(
            [rules.Sealed(t.number, t.as_of, t.correction) for t in existing],
            data.as_of,
            data.reason,
            data.corrects,
        )
        report = await reports.draw_eu_report(uow, programme_id, fund, data.as_of)
        codes = {line.project_id: line.code for line in report.projects}
        known, latest = await reports.counted_outputs(uow, codes, data.as_of)
        versions = await reports.report_versions(uow, known, data.as_of)
        definitions = await reports.definition_lines(uow, known, latest, versions, data.as_of)
        rules.refuse_totals_across_breaks(definitions)
        carried = await _carried(uow, programme_id, codes, [t.number for t in existing], fund)
        sealed_at = uow.now
        row_id = uuid.uuid4()
        record = TransmissionRecord(
            transmission={
                "id": str(row_id),
                "programme_id": str(programme_id),
                "fund": fund.value,
                "number": numbering.number,
                "label": rules.label(fund.value, numbering.number),
                "as_of": data.as_of.isoformat(),
                "correction": numbering.correction,
                "corrects": numbering.corrects,
                "reason": data.reason,
                "sealed_by": user.username,
                "sealed_at": sealed_at.isoformat(),
            },
            report=report,
            outputs=outputs_of(codes, known, latest),
            report_versions=versions,
            definitions=definitions,
            cofinancing=await _rules_in_force(uow, programme_id, fund, data.as_of),
            late_data_policy={"reason_required": policy.reason_required, "notify": policy.notify},
            restatements=[restatement_line(r, codes) for r in carried],
        )
        files = {
            "json": transmission_files.render_json(record),
            "csv": transmission_files.render_csv(record),
            "xlsx": transmission_files.render_xlsx(record),
        }
        digests = {name: transmission_files.sha256(data) for name, data in files.items()}
        row = Transmission(
            id=row_id,
            programme_id=programme_id,
            fund=fund.value,
            number=numbering.number,
            as_of=data.as_of,
            correction=numbering.correction,
            corrects=numbering.corrects,
            reason=data.reason,
            sealed_by=user.username,
            sealed_at=sealed_at,
            document=files["json"].decode(),
            csv=files["csv"].decode(),
            xlsx=transmission_files.xlsx_text(files["xlsx"]),
            json_sha256=digests["json"],
            csv_sha256=digests["csv"],
            xlsx_sha256=digests["xlsx"],
        )
        uow.transmissions.add(row)
        for r in carried:
            uow.transmissions.add(
                TransmissionRestatement(transmission_id=row_id, report_id=r.report_id)
            )
        uow.publish(
            events.TransmissionSealed(
                transmission_id=row_id,
                programme_id=programme_id,
                fund=fund.value,
                number=numbering.number,
                label=rules.label(fund.value, numbering.number),
                as_of=data.as_of,
                correction=numbering.correction,
                corrects=numbering.corrects,
                reason=data.reason,
                projects=list(codes),
                indicators=sorted({k[1] for k in known}),
                restatements=[r.report_id for r in carried],
                late_data_reason_required=policy.reason_required,
                late_data_notify=policy.notify,
                digests=digests,
                actor=user.username,
                sealed_at=sealed_at,
            )
        )
        result = public(row)
        await uow.commit()
        return result


def outputs_of(
    codes: Mapping[uuid.UUID, str],
    known: Mapping[OutputKey, RealisedOutput],
    latest: Mapping[OutputKey, RealisedHistory],
) -> list[CountedOutput]:
    return [
        CountedOutput(
            project_id=key[0],
            code=codes[key[0]],
            indicator_code=key[1],
            eu_code=known[key].eu_code or "",
            unit=known[key].unit,
            approved=h.approved,
            counts_to=h.as_of,
            pending_reports=h.pending_reports,
            pending_value=h.pending_value,
        )
        for key, h in sorted(latest.items(), key=lambda kv: (codes[kv[0][0]], kv[0][1]))
    ]


async def _carried(
    uow: FundingUnitOfWork,
    programme_id: uuid.UUID,
    codes: Mapping[uuid.UUID, str],
    earlier: Iterable[int],
    fund: str,
) -> list[RestatementReplica]:
    """Restatements of this fund's earlier transmissions that none carried yet."""
    labels = {rules.label(fund, n) for n in earlier}
    if not labels:
        return []
    projects = [p.id for p in await uow.replica.projects_of(programme_id)]
    done = await uow.transmissions.carried()
    return [
        r
        for r in await uow.transmissions.restatements(projects)
        if labels & set(r.restates) and r.report_id not in done
    ]


def restatement_line(r: RestatementReplica, codes: Mapping[uuid.UUID, str]) -> RestatementLine:
    return RestatementLine(
        report_id=r.report_id,
        project_id=r.project_id,
        code=codes.get(r.project_id, str(r.project_id)),
        indicator_code=r.indicator_code,
        period=r.period,
        dimension_key=r.dimension_key,
        version=r.version,
        kind=r.kind,
        value=r.value,
        previous_value=r.previous_value,
        reason=r.reason,
        submitted_by=r.submitted_by,
        restates=list(r.restates),
    )


async def _rules_in_force(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, fund: FundSource, as_of: date
) -> RulesInForce:
    config = await uow.rules.programme(programme_id)
    ceiling = None
    if config is not None:
        ceilings = [
            CeilingRule(
                FundSource(r.fund),
                RegionCategory(r.region_category),
                r.rate,
                RateBasis(r.basis),
                r.effective_from,
            )
            for r in await uow.rules.ceilings()
        ]
        rate = ceiling_in_force(ceilings, fund, RegionCategory(config.region_category), as_of)
        if rate is not None:
            ceiling = {
                "rate": str(rate.rate),
                "basis": rate.basis.value,
                "effective_from": rate.effective_from.isoformat(),
                "origin": rate.origin,
            }
    in_force: dict[uuid.UUID, Any] = {}
    for r in await uow.rules.priority_rates(programme_id):
        if r.fund != fund or r.effective_from > as_of:
            continue
        if r.goal_id not in in_force or r.effective_from > in_force[r.goal_id].effective_from:
            in_force[r.goal_id] = r
    goals = {g.id: g.code for g in await uow.replica.goals(programme_id)}
    return RulesInForce(
        region_category=config.region_category if config else None,
        jtf_territory=list(config.jtf_territory) if config else [],
        ceiling=ceiling,
        priority_rates=[
            {
                "goal": goals.get(r.goal_id, str(r.goal_id)),
                "rate": str(r.rate),
                "basis": r.basis,
                "effective_from": r.effective_from.isoformat(),
            }
            for r in sorted(in_force.values(), key=lambda r: goals.get(r.goal_id, ""))
        ],
    )


# --- read -----------------------------------------------------------------------------------


async def list_transmissions(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, fund: FundSource
) -> list[TransmissionPublic]:
    _fund(fund)
    async with uow:
        await require_programme(uow, programme_id)
        return [public(t) for t in await uow.transmissions.of_fund(programme_id, fund)]


async def sealed_row(
    uow: FundingUnitOfWork, programme_id: uuid.UUID, fund: FundSource, number: int
) -> Transmission:
    _fund(fund)
    row = await uow.transmissions.get(programme_id, fund, number)
    if row is None:
        raise UnknownError(f"{fund.value} transmission {number} of this programme does not exist")
    return row


async def transmission_file(
    uow: FundingUnitOfWork,
    programme_id: uuid.UUID,
    fund: FundSource,
    number: int,
    format: Format,
) -> tuple[bytes, TransmissionPublic]:
    """The file as it was sealed, byte for byte (its digest checked against the seal)."""
    async with uow:
        row = await sealed_row(uow, programme_id, fund, number)
    if format == "json":
        data, digest = row.document.encode(), row.json_sha256
    elif format == "csv":
        data, digest = row.csv.encode(), row.csv_sha256
    else:
        data, digest = transmission_files.xlsx_bytes(row.xlsx), row.xlsx_sha256
    if transmission_files.sha256(data) != digest:
        raise SealBrokenError(f"transmission {row.number} ({format}) does not match its seal")
    return data, public(row)
