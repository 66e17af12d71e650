"""Ground truth for procurement anomalies, recorded on the day the events that prove them are sent.

Times, subjects and record ids follow what each detector rule reports: a
Cardinal process finding at the award, P10 at the bid deadline (one record per
signal), P7 at the missed deadline, P3 at the contract that crosses the threshold.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from services.ingest.simulator.context import SchoolDay, moment
from services.ingest.simulator.procurement import records
from services.ingest.simulator.procurement.plans import ProcessPlan
from services.ingest.simulator.procurement.timing import Clock

SPLIT_THRESHOLD_FEN = 200_000_000  # P3's default open-tender threshold, 200万 元
OPEN_METHODS = ("公开招标",)
AT_AWARD = ("R024", "R028", "R030", "R035", "R036", "R058", "P6")
PUBLICATION_WORKING_DAYS = NOTICE_WORKING_DAYS = 2
NEAR_CLUSTER, NEAR_THRESHOLD_YUAN = 3, "100000"


def record_truth(ctx: SchoolDay, plan: ProcessPlan, ids: dict[str, str]) -> None:
    day = ctx.day

    def on(at: datetime | None) -> bool:
        return at is not None and at.date() == day

    tender = ("tender", plan.ocid)
    for rule in plan.anomalies:
        if rule == "R003" and on(plan.published_at):
            ctx.schedule.truth(
                plan.published_at,
                rule,
                tender,
                [ids["tender-published"]],
                record_id=records.tender_id(plan),
            )
        elif rule == "R018" and on(plan.opened_at):
            ctx.schedule.truth(
                plan.opened_at + timedelta(hours=1),
                rule,
                tender,
                [ids["tender-closed"]],
                record_id=records.tender_id(plan),
            )
        elif rule in AT_AWARD and on(plan.notice_at):
            ctx.schedule.truth(plan.notice_at, rule, tender, records.process_evidence(plan))
        elif rule == "P10" and on(plan.opened_at):
            assert plan.tender_end is not None
            evidence = sorted([ids["tender-closed"], *(bid.bid_id for bid in plan.bids)])
            for signal in rigging_signals(plan):
                ctx.schedule.truth(plan.tender_end, rule, tender, evidence, record_id=signal)
        elif rule == "P7":
            _late_step(ctx, plan, ids)
        elif rule == "P4" and plan.amendment and on(plan.amendment[0]):
            ctx.schedule.truth(
                plan.amendment[0], rule, ("contract", records.contract_id(plan)), [ids["amendment"]]
            )
        elif rule == "P12" and on(plan.payments[-1][0]):
            evidence = [ids[f"payment-{kind}"] for _, kind, _ in plan.payments]
            ctx.schedule.truth(
                plan.payments[-1][0], rule, ("contract", records.contract_id(plan)), evidence
            )
    if on(plan.contract_published_at):
        _split_purchases(ctx, plan, ids["contract"])
        if "P3_NEAR" in plan.anomalies:
            _near_threshold(ctx, plan, ids["contract"])


def _near_threshold(ctx: SchoolDay, plan: ProcessPlan, contract_event: str) -> None:
    """P3_NEAR alerts at the third purchase from one supplier just under 10万 元 within 30 days."""
    assert plan.winner is not None and plan.signed_at is not None
    cluster = ctx.state.near_clusters.setdefault(plan.winner.org_id, [])
    cluster.append(contract_event)
    if len(cluster) == NEAR_CLUSTER:
        ctx.schedule.truth(
            plan.signed_at,
            "P3_NEAR",
            ("vendor", plan.winner.org_id),
            list(cluster),
            record_id=NEAR_THRESHOLD_YUAN,
        )


def consequences(rule: str | None) -> frozenset[str]:
    """The other rules a process built to break ``rule`` breaks as well, by definition."""
    return frozenset(
        {
            "R018": {"R018", "P6"},  # one bid: one responsive bidder
            "R035": {"R035", "P6"},  # everyone but the winner rejected
            "R028": {"R028", "P10"},  # identical prices are a bid-rigging signal too
        }.get(rule or "", {rule} if rule else set())
    )


def rigging_signals(plan: ProcessPlan) -> list[str]:
    """P10's signals present in the process's bids: one alert each."""
    signals = []
    seen = {
        "deposit_account": [bid.deposit_account for bid in plan.bids],
        "identical_price": [bid.amount_fen for bid in plan.bids],
        "document_author": [(bid.bid_file_of or bid.vendor).org_id for bid in plan.bids],
        "machine_code": [(bid.bid_file_of or bid.vendor).org_id for bid in plan.bids],
    }
    for signal, values in seen.items():
        if len(set(values)) < len(values):
            signals.append(signal)
    return signals


def _late_step(ctx: SchoolDay, plan: ProcessPlan, ids: dict[str, str]) -> None:
    """P7 reports a late step at its deadline, the end of the second working day after the decision (notice)
    or the signature (publication), before the late event itself arrives."""
    clock = Clock(ctx.district.scenario.end)
    award = records.award_id(plan)
    if plan.variant == 0 and plan.decided_at is not None:
        deadline = moment(
            clock.workdays_after(plan.decided_at.date(), NOTICE_WORKING_DAYS) + timedelta(days=1),
            time.min,
        )
        if deadline.date() == ctx.day:
            ctx.schedule.truth(
                deadline, "P7", ("tender", plan.ocid), [ids["award"]], record_id=f"{award}/notice"
            )
    if plan.variant == 1 and plan.signed_at is not None and plan.contract_published_at is not None:
        deadline = moment(
            clock.workdays_after(plan.signed_at.date(), PUBLICATION_WORKING_DAYS)
            + timedelta(days=1),
            time.min,
        )
        if deadline.date() == ctx.day and plan.contract_published_at > deadline:
            evidence = sorted([ids["award"], ids["contract"]])
            ctx.schedule.truth(
                deadline,
                "P7",
                ("contract", records.contract_id(plan)),
                evidence,
                record_id=f"{award}/publication",
            )


def _split_purchases(ctx: SchoolDay, plan: ProcessPlan, contract_event: str) -> None:
    """P3 names the first contract, in signing order, that takes a budget line's non-open total past the threshold."""
    if plan.method_details in OPEN_METHODS or plan.signed_at is None:
        return
    key = f"{plan.budget_project_id}/{plan.category.code}/{plan.signed_at.year}"
    ledger = ctx.state.split_ledgers.setdefault(key, [])
    ledger.append((plan.signed_at, contract_event, plan.value_fen))
    if key in ctx.state.split_alerted:
        return
    total, prefix = 0, []
    for signed_at, event_id, value in sorted(ledger):
        total += value
        prefix.append(event_id)
        if total > SPLIT_THRESHOLD_FEN and len(prefix) >= 2:
            ctx.state.split_alerted.add(key)
            subject = ("item", f"{plan.budget_project_id}/{plan.category.code}")
            ctx.schedule.truth(signed_at, "P3", subject, prefix)
            return
