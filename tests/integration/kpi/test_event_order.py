"""Events of one programme travel on several partitions: a project (and its reports) may
reach the KPI service before the goals it is linked to. The totals end where they belong."""

import uuid
from decimal import Decimal

from services.kpi.consumers import registry_handlers
from services.kpi.domain.periods import Period
from services.kpi.projection import Options, apply_kpi_events
from shared.contracts import kpi as events
from tests.integration.kpi.harness import kpi_service
from tests.registry_events import Registry


def submitted(project: uuid.UUID, period: str, value: int) -> events.ReportSubmitted:
    return events.ReportSubmitted(
        project_id=project,
        indicator_code="MEETINGS_ORGANISED",
        report_id=uuid.uuid4(),
        indicator_kind="flow",
        period=period,
        dimension_key="",
        version=1,
        value=Decimal(value),
        numerator=None,
        denominator=None,
        comment=None,
        source_ref=None,
        organisation_id=None,
        submitted_by="partner",
    )


async def test_totals_reach_goals_and_lines_heard_of_after_the_project(kpi_db: str) -> None:
    async for service in kpi_service(kpi_db):
        r = Registry(programme=service.registry.programme)
        r.pending.clear()  # the programme's own event comes last, too
        line, goal = uuid.uuid4(), uuid.uuid4()
        r.goals = {"LINE": line, "G": goal}
        r.organisation("Lead BV")
        project = r.project("P", lead="Lead BV", goals=["G"])
        handlers = registry_handlers(Options())
        apply = service.uow
        # the project first, then a report for it, then the goal, then the line above it
        await r.deliver(handlers, apply)
        report = submitted(project, "2019-Q1", 7)
        async with apply() as uow:
            await apply_kpi_events(uow, [report], Options())
            await uow.commit()
        r.goal("G", parent="LINE")
        r.goal("LINE", kind="programme_line")
        service.registry.pending.extend(r.pending)
        await service.deliver()
        async with apply() as uow:
            for node in (goal, line):
                totals = {
                    t.period_key: t.value
                    for t in await uow.totals.node_totals(node, "current", "MEETINGS_ORGANISED")
                }
                assert totals.get(str(Period.parse("2019-Q1"))) == Decimal(7), node
                assert totals.get("all") == Decimal(7), node


async def test_a_project_heard_of_after_its_reports_gets_its_progress(kpi_db: str) -> None:
    async for service in kpi_service(kpi_db):
        r = service.registry
        r.goal("G")
        r.organisation("Lead BV")
        project = uuid.uuid4()
        r.projects["P"] = project
        report = submitted(project, "2019-Q1", 5)
        async with service.uow() as uow:  # the report's event overtakes the project's
            await apply_kpi_events(uow, [report], Options())
            await uow.commit()
        r.project("P", lead="Lead BV", goals=["G"])
        await service.deliver()
        async with service.uow() as uow:
            progress = await uow.totals.progress(project)
            totals = {
                t.period_key: t.value
                for t in await uow.totals.node_totals(r.goals["G"], "current", "MEETINGS_ORGANISED")
            }
        assert progress["MEETINGS_ORGANISED"].realised == Decimal(5)
        assert totals.get("all") == Decimal(5)


async def test_an_earlier_quarter_reported_later_keeps_the_latest_period_as_of(
    kpi_db: str,
) -> None:
    """Found by the broker-lost fault test: progress 'as of' fell back to the quarter of the
    last event applied instead of the latest quarter reported."""
    async for service in kpi_service(kpi_db):
        r = service.registry
        r.goal("G")
        r.organisation("Lead BV")
        project = r.project("P", lead="Lead BV", goals=["G"])
        await service.deliver()

        later_first = (submitted(project, "2019-Q4", 4), submitted(project, "2019-Q1", 1))
        for report in later_first:  # one batch each
            async with service.uow() as uow:
                await apply_kpi_events(uow, [report], Options())
                await uow.commit()
        async with service.uow() as uow:
            progress = (await uow.totals.progress(project))["MEETINGS_ORGANISED"]
        assert progress.realised == Decimal(5)
        assert str(progress.as_of) == "2019-12-31"
