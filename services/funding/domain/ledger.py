"""Commitments and payments of one fund for one project.

What a grant decision commits may be paid out in advances and interim payments, and
never more; the final settlement (vaststelling) fixes the definitive grant, which turns
into a last payment or, when less than was paid, into a recovery.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from shared.errors import FieldProblem


class PaymentKind(StrEnum):
    ADVANCE = "advance"
    INTERIM = "interim"
    FINAL = "final"  # the balance paid on settlement
    RECOVERY = "recovery"  # money paid back; it lowers what was paid


@dataclass(frozen=True)
class Ledger:
    committed: Decimal  # decided, or the settled amount once settled
    paid: Decimal  # net of recoveries
    settled: bool = False

    @property
    def remaining(self) -> Decimal:
        return self.committed - self.paid

    def after(self, kind: PaymentKind, amount: Decimal) -> "Ledger":
        change = -amount if kind is PaymentKind.RECOVERY else amount
        return Ledger(self.committed, self.paid + change, self.settled)


def payment_problems(ledger: Ledger, kind: PaymentKind, amount: Decimal) -> list[FieldProblem]:
    if amount <= 0:
        return [FieldProblem(("amount",), "a payment must be more than zero")]
    if kind is PaymentKind.RECOVERY:
        if amount > ledger.paid:
            return [
                FieldProblem(("amount",), f"recovery of {amount} exceeds the {ledger.paid} paid")
            ]
        return []
    if ledger.settled:
        return [FieldProblem(("kind",), "the grant is settled; only recoveries are possible")]
    if amount > ledger.remaining:
        return [
            FieldProblem(
                ("amount",),
                f"payment of {amount} exceeds what remains of the commitment "
                f"({ledger.committed} committed - {ledger.paid} paid = {ledger.remaining})",
            )
        ]
    return []


def settlement(ledger: Ledger, settled_amount: Decimal) -> tuple[PaymentKind, Decimal] | None:
    """The payment a settlement causes: the balance still due, or what must come back."""
    if settled_amount > ledger.paid:
        return PaymentKind.FINAL, settled_amount - ledger.paid
    if settled_amount < ledger.paid:
        return PaymentKind.RECOVERY, ledger.paid - settled_amount
    return None


def settlement_problems(ledger: Ledger, settled_amount: Decimal) -> list[FieldProblem]:
    if ledger.settled:
        return [FieldProblem(("fund",), "this grant has already been settled")]
    if settled_amount > ledger.committed:
        return [
            FieldProblem(
                ("amount",),
                f"the settled amount {settled_amount} exceeds the {ledger.committed} committed",
            )
        ]
    return []


def decommitment_problems(ledger: Ledger, amount: Decimal) -> list[FieldProblem]:
    """A grant is amended down by a de-commitment: never below what has been paid out of it,
    and not once it is settled (the settlement fixes the definitive grant)."""
    if amount <= 0:
        return [FieldProblem(("amount",), "a de-commitment must be more than zero")]
    if ledger.settled:
        return [FieldProblem(("fund",), "this grant is settled; its settlement fixes the amount")]
    if amount > ledger.remaining:
        return [
            FieldProblem(
                ("amount",),
                f"de-committing {amount} would leave {ledger.committed - amount} committed, "
                f"less than the {ledger.paid} already paid "
                f"({ledger.remaining} can be de-committed)",
            )
        ]
    return []


@dataclass(frozen=True)
class Decision:
    project_id: object
    fund: str
    amount: Decimal
    on: date


@dataclass(frozen=True)
class Movement:
    project_id: object
    fund: str
    kind: PaymentKind
    amount: Decimal
    on: date


def build_ledgers(
    decisions: Iterable[Decision],
    movements: Iterable[Movement],
    settlements: Iterable[Decision],
    until: date | None = None,
) -> dict[tuple[object, str], Ledger]:
    """Per (project, fund): committed and paid, counting only what happened by `until`."""
    committed: dict[tuple[object, str], Decimal] = defaultdict(Decimal)
    paid: dict[tuple[object, str], Decimal] = defaultdict(Decimal)
    settled: dict[tuple[object, str], Decimal] = {}
    for d in decisions:
        if until is None or d.on <= until:
            committed[(d.project_id, d.fund)] += d.amount
    for s in settlements:
        if until is None or s.on <= until:
            settled[(s.project_id, s.fund)] = s.amount
    for m in movements:
        if until is None or m.on <= until:
            key = (m.project_id, m.fund)
            paid[key] += -m.amount if m.kind is PaymentKind.RECOVERY else m.amount
    return {
        key: Ledger(settled.get(key, committed[key]), paid[key], key in settled)
        for key in committed.keys() | paid.keys() | settled.keys()
    }
