"""Money and output along the goal tree.

A project's money is split over its goals by its plan's goal shares; a goal node holds
the shares of the goals in its subtree (at most the whole project), so a project under
two programme lines counts in part in each and once in the programme.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from services.funding.domain.efficiency import cost_per_unit, leverage, share

ZERO = Decimal(0)


@dataclass(frozen=True)
class ProjectMoney:
    project_id: uuid.UUID
    committed: Mapping[str, Decimal]  # per fund
    paid: Mapping[str, Decimal]
    public: Decimal  # planned public contribution
    private: Decimal  # planned private contribution
    shares: Mapping[uuid.UUID, Decimal]  # per goal, adding up to 1
    # per indicator: the approved value to date (units); what awaits review (reports, sum)
    realised: Mapping[str, Decimal] = field(default_factory=dict)
    units: Mapping[str, str | None] = field(default_factory=dict)
    pending: Mapping[str, tuple[int, Decimal]] = field(default_factory=dict)

    @property
    def committed_total(self) -> Decimal:
        return sum(self.committed.values(), ZERO)

    @property
    def paid_total(self) -> Decimal:
        return sum(self.paid.values(), ZERO)


def subtrees(parents: Mapping[uuid.UUID, uuid.UUID | None]) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Each node with every node below it (itself included)."""
    below: dict[uuid.UUID, set[uuid.UUID]] = {node: {node} for node in parents}
    for node in parents:
        seen, cursor = {node}, parents.get(node)
        while cursor is not None and cursor not in seen:
            below.setdefault(cursor, {cursor}).add(node)
            seen.add(cursor)
            cursor = parents.get(cursor)
    return below


def node_share(shares: Mapping[uuid.UUID, Decimal], subtree: set[uuid.UUID]) -> Decimal:
    return min(Decimal(1), sum((s for g, s in shares.items() if g in subtree), ZERO))


@dataclass(frozen=True)
class Usage:
    goal_id: uuid.UUID
    fund: str
    allocated: Decimal
    committed: Decimal
    paid: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.allocated - self.committed

    @property
    def committed_share(self) -> Decimal | None:
        return share(self.committed, self.allocated)

    @property
    def absorption_rate(self) -> Decimal | None:
        return share(self.paid, self.allocated)


def budget_usage(
    tree: Mapping[uuid.UUID, set[uuid.UUID]],
    budgets: Mapping[tuple[uuid.UUID, str], Decimal],
    projects: Iterable[ProjectMoney],
) -> list[Usage]:
    """Allocated, committed and paid per (node, fund), for budgets and for money spent."""
    committed: dict[tuple[uuid.UUID, str], Decimal] = defaultdict(Decimal)
    paid: dict[tuple[uuid.UUID, str], Decimal] = defaultdict(Decimal)
    for p in projects:
        for node, subtree in tree.items():
            part = node_share(p.shares, subtree)
            if not part:
                continue
            for fund, amount in p.committed.items():
                committed[(node, fund)] += amount * part
            for fund, amount in p.paid.items():
                paid[(node, fund)] += amount * part
    keys = set(budgets) | {k for k, v in committed.items() if v} | {k for k, v in paid.items() if v}
    return [
        Usage(
            node,
            fund,
            budgets.get((node, fund), ZERO),
            _cents(committed[(node, fund)]),
            _cents(paid[(node, fund)]),
        )
        for node, fund in sorted(keys, key=lambda k: (str(k[0]), k[1]))
    ]


@dataclass(frozen=True)
class OutputCost:
    indicator_code: str
    unit: str | None
    realised: Decimal
    committed_per_unit: Decimal | None
    paid_per_unit: Decimal | None
    pending_reports: int = 0  # awaiting review, not in `realised` nor in the cost per unit
    pending_value: Decimal = ZERO


@dataclass(frozen=True)
class Efficiency:
    committed: Decimal
    paid: Decimal
    public: Decimal
    private: Decimal
    leverage: Decimal | None
    outputs: list[OutputCost]


def efficiency(projects: Iterable[tuple[ProjectMoney, Decimal]]) -> Efficiency:
    """Money against output of projects, each weighted by the part that counts here.

    Per indicator, only the money of the projects that report it is set against it:
    cost per entrepreneur reached is the money of the projects reaching entrepreneurs.
    """
    committed = paid = public = private = ZERO
    money_for: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
    pending_for: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    units: dict[str, str | None] = {}
    for p, part in projects:
        committed += p.committed_total * part
        paid += p.paid_total * part
        public += p.public * part
        private += p.private * part
        for code, value in p.realised.items():
            row = money_for[code]
            row[0] += value * part
            row[1] += p.committed_total * part
            row[2] += p.paid_total * part
            units[code] = p.units.get(code)
        for code, (reports, value) in p.pending.items():
            waiting = pending_for[code]
            waiting[0] += reports
            waiting[1] += value * part
            units.setdefault(code, p.units.get(code))
    outputs = []
    for code in sorted(money_for.keys() | pending_for.keys()):
        realised, c, pd = money_for[code]
        waiting_reports, waiting_value = pending_for[code]
        outputs.append(
            OutputCost(
                code,
                units[code],
                realised,
                cost_per_unit(c, realised),
                cost_per_unit(pd, realised),
                int(waiting_reports),
                waiting_value,
            )
        )
    return Efficiency(
        _cents(committed),
        _cents(paid),
        _cents(public),
        _cents(private),
        leverage(private, public),
        outputs,
    )


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"))
