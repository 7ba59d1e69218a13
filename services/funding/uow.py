"""The funding service's unit of work: its repositories, outbox and inbox in one transaction."""

from services.funding.repository import (
    BudgetRepository,
    MoneyRepository,
    OutputRepository,
    PlanRepository,
    ReplicaRepository,
    RulesRepository,
    TransmissionRepository,
)
from shared.uow import SqlUnitOfWork


class FundingUnitOfWork(SqlUnitOfWork):
    rules: RulesRepository
    plans: PlanRepository
    money: MoneyRepository
    budgets: BudgetRepository
    replica: ReplicaRepository
    outputs: OutputRepository
    transmissions: TransmissionRepository

    def _start(self) -> None:
        self.rules = RulesRepository(self.session)
        self.plans = PlanRepository(self.session)
        self.money = MoneyRepository(self.session)
        self.budgets = BudgetRepository(self.session)
        self.replica = ReplicaRepository(self.session)
        self.outputs = OutputRepository(self.session)
        self.transmissions = TransmissionRepository(self.session)
