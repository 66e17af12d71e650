"""招采: the school's procurement processes, step by step as their days come (see procurement.market).

Event ids derive from the ocid, because evidence for a finding (every bid of a
tender, every payment of a contract) is known when the process is planned,
weeks before the events are sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from services.ingest.simulator.context import SchoolDay
from services.ingest.simulator.procurement import records
from services.ingest.simulator.procurement.plans import ProcessPlan
from services.ingest.simulator.procurement.truth import record_truth


def run(ctx: SchoolDay) -> None:
    ctx.state.processes.extend(ctx.market.take(ctx.school.index, ctx.day))
    still_open = []
    for plan in ctx.state.processes:
        _emit_due(ctx, plan)
        if _last_step(plan).date() > ctx.day:
            still_open.append(plan)
    ctx.state.processes = still_open


def _emit_due(ctx: SchoolDay, plan: ProcessPlan) -> None:
    school, day, ids = ctx.school, ctx.day, records.event_ids(plan)

    def due(moment: datetime | None) -> bool:
        return moment is not None and moment.date() == day

    def emit(moment: datetime, name: str, data: dict, step: str, subject: str) -> None:
        ctx.schedule.event(moment, f"procurement.{name}", data, subject=subject, event_id=ids[step])

    if due(plan.planned_at):
        emit(plan.planned_at, "plan", records.plan_record(plan, school), "plan", plan.ocid)
    if due(plan.published_at):
        emit(
            plan.published_at,
            "tender",
            records.tender_record(plan, school, closed=False),
            "tender-published",
            plan.ocid,
        )
    if due(plan.opened_at):
        assert plan.opened_at is not None
        for bid in plan.bids:
            emit(plan.opened_at, "bid", records.bid_record(plan, bid), bid.bid_id, plan.ocid)
        emit(
            plan.opened_at + timedelta(hours=1),
            "tender",
            records.tender_record(plan, school, closed=True),
            "tender-closed",
            plan.ocid,
        )
    if due(plan.notice_at):
        assert plan.notice_at is not None
        emit(plan.notice_at, "award", records.award_record(plan), "award", plan.ocid)
    if due(plan.contract_published_at):
        assert plan.contract_published_at is not None
        emit(
            plan.contract_published_at,
            "contract",
            records.contract_record(plan, school),
            "contract",
            records.contract_id(plan),
        )
    if plan.amendment and due(plan.amendment[0]):
        at, change = plan.amendment
        emit(
            at,
            "amendment",
            records.amendment_record(plan, at, change),
            "amendment",
            records.contract_id(plan),
        )
    if due(plan.accepted_at):
        assert plan.accepted_at is not None
        emit(
            plan.accepted_at,
            "acceptance",
            records.acceptance_record(plan, school),
            "acceptance",
            records.contract_id(plan),
        )
    for at, kind, amount in plan.payments:
        if due(at):
            emit(
                at,
                "payment",
                records.payment_record(plan, school, at, kind, amount),
                f"payment-{kind}",
                records.contract_id(plan),
            )
    record_truth(ctx, plan, ids)


def _last_step(plan: ProcessPlan) -> datetime:
    moments = [plan.contract_published_at, plan.accepted_at, *(at for at, _, _ in plan.payments)]
    if plan.amendment:
        moments.append(plan.amendment[0])
    return max(moment for moment in moments if moment is not None)
