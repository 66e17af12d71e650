"""The district's procurement market, planned one day at a time for all schools together.

Vendors bid across schools, so fairness (who wins, who is rejected) can only
be kept in balance district-wide. The market plans a day for every school the
first time any school asks for that day, and hands each school its share;
plans leave memory once taken, so only the days in flight are held.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from datetime import date, time, timedelta

from services.ingest.simulator.calendar import is_workday
from services.ingest.simulator.context import moment
from services.ingest.simulator.district import District
from services.ingest.simulator.injections import Injection
from services.ingest.simulator.model import School, Vendor
from services.ingest.simulator.organizations import ENTERPRISE, credit_code
from services.ingest.simulator.procurement import records
from services.ingest.simulator.procurement.bidding import Bidding, Rigging
from services.ingest.simulator.procurement.plans import ProcessPlan
from services.ingest.simulator.procurement.population import PopulationTruth
from services.ingest.simulator.procurement.timing import Clock
from services.ingest.simulator.procurement.truth import consequences
from services.ingest.simulator.reference import (
    BUDGET_PROJECT_CODES,
    EMALL_GOODS,
    EMALL_UPKEEP,
    EVERYTHING,
    PROCUREMENT_CATEGORIES,
    ProcurementCategory,
)

OCID_PREFIX = "ocds-qlcq01"
# New competitive processes per school and working day (about four a quarter).
COMPETITIVE_RATE = 0.06
EMALL_RATES = (0.9, 0.4)  # chance of a first and of a second e-mall purchase on a working day
EMALL_UPKEEP_SHARE = 0.2
EMALL_RANGE_YUAN = (800, 30_000)
NEAR_BAND_YUAN = (92_000, 99_000)  # just under the 10万 threshold, inside P3_NEAR's 90 % band
BUDGET_RANGE_YUAN = {
    "goods": (150_000, 900_000),
    "services": (200_000, 800_000),
    "works": (300_000, 1_800_000),
}
OPEN_TENDER_FROM_YUAN = 1_000_000
TENDER_DAYS = (20, 25)  # never below Cardinal's 15-day R003 threshold
SHORT_TENDER_DAYS = 7
ANOMALY_VENDOR_SERIAL = 900_000  # credit-code serials of the vendors that exist to break a rule


class Market:
    def __init__(self, district: District, injections: dict[str, list[Injection]]) -> None:
        scenario = district.scenario
        self._district = district
        self._clock = Clock(scenario.end)
        self._bidding = Bidding(district.vendors)
        self._planned_through = scenario.procurement_start - timedelta(days=1)
        self._by_day: dict[date, dict[int, list[ProcessPlan]]] = {}
        self._process_numbers: Counter[int] = Counter()
        self._used_categories: dict[tuple[int, int], set[str]] = defaultdict(set)
        self._emall_awards: Counter[str] = Counter()
        self._strict_agencies = {
            vendor.org_id
            for vendor in district.vendors["agency"][: len(district.vendors["agency"]) // 2]
        }
        self._process_injections = defaultdict(list)
        for rule_id in (*PROCESS_RULES, "P3_NEAR"):
            for injection in injections.get(rule_id, ()):
                self._process_injections[(injection.school_index, injection.day)].append(injection)
        self.heavy_schools = {
            injection.school_index
            for injection in injections.get("R038", ())
            if injection.variant == 0
        }
        for injection in injections.get("R038", ()):
            if (
                injection.variant == 0
            ):  # a buyer that rejects bids wholesale opens its processes on these days
                self._process_injections[(injection.school_index, injection.day)].append(injection)
        self.cover_bidders = self._anomaly_vendors("goods", len(injections.get("R025", ())), "陪标")
        self.unqualified = self._anomaly_vendors(
            "goods", sum(1 for i in injections.get("R038", ()) if i.variant == 1), "无资质"
        )
        self.everything_sellers = self._anomaly_vendors(
            "emall", len(injections.get("R048", ())), "百货"
        )
        self.population = PopulationTruth(moment(scenario.end, time.min))

    def take(self, school_index: int, day: date) -> list[ProcessPlan]:
        """The processes ``school_index`` starts on ``day``; each school takes each day once, in order."""
        while self._planned_through < day:
            self._planned_through += timedelta(days=1)
            self._by_day[self._planned_through] = self._plan_day(self._planned_through)
        plans = self._by_day[day].pop(school_index, [])
        if not self._by_day[day]:
            del self._by_day[day]
        return plans

    def _plan_day(self, day: date) -> dict[int, list[ProcessPlan]]:
        rng = random.Random(f"{self._district.scenario.seed}|market|{day}")
        planned: dict[int, list[ProcessPlan]] = {}
        for school in self._district.schools:
            plans: list[ProcessPlan] = []
            if is_workday(day):
                plans += self._emall(rng, school, day)
                if rng.random() < COMPETITIVE_RATE:
                    plans.append(self._competitive(rng, school, day, None))
            for injection in self._process_injections.pop((school.index, day), ()):
                if injection.rule_id == "P3_NEAR":
                    plans.append(self._just_under_threshold(rng, school, day, injection))
                else:
                    plans.append(self._competitive(rng, school, day, injection))
            planned[school.index] = plans
        return planned

    # E-mall purchases: one supplier, no bids.

    def _emall(self, rng: random.Random, school: School, day: date) -> list[ProcessPlan]:
        plans = []
        for chance in EMALL_RATES:
            if rng.random() >= chance:
                continue
            seller = self._everything_seller_due(school, day)
            if seller is not None:
                category = EVERYTHING[self._emall_awards[seller.org_id] % len(EVERYTHING)]
            else:
                category = (
                    EMALL_UPKEEP if rng.random() < EMALL_UPKEEP_SHARE else rng.choice(EMALL_GOODS)
                )
                seller = self._emall_supplier(category)
            value = round(math.exp(rng.uniform(*map(math.log, EMALL_RANGE_YUAN)))) * 100
            plan = self._emall_plan(rng, school, day, category, seller, value)
            if seller in self.everything_sellers:
                assert plan.decided_at is not None
                self.population.involve(
                    "R048",
                    ("vendor", seller.org_id),
                    None,
                    plan.decided_at,
                    (records.event_ids(plan)["award"],),
                )
            plans.append(plan)
        return plans

    def _emall_plan(
        self,
        rng: random.Random,
        school: School,
        day: date,
        category: ProcurementCategory,
        seller: Vendor,
        value: int,
    ) -> ProcessPlan:
        """A direct purchase: award and contract the same hour, payment a week later."""
        self._emall_awards[seller.org_id] += 1
        plan = self._new_plan(school, day, category, "direct", "电子卖场", value, agency=None)
        decided = self._clock.at(day, rng.randint(9, 15), rng.randint(0, 59))
        plan.decided_at = plan.notice_at = decided
        plan.signed_at = decided + timedelta(minutes=30)
        plan.contract_published_at = plan.signed_at + timedelta(minutes=10)
        plan.winner, plan.value_fen = seller, value
        plan.payments = [
            (
                self._clock.at(self._clock.workdays_after(day, 5), 10, rng.randint(0, 59)),
                "final",
                value,
            )
        ]
        return plan

    def _just_under_threshold(
        self, rng: random.Random, school: School, day: date, injection: Injection
    ) -> ProcessPlan:
        """P3_NEAR: one of three e-mall purchases from the same supplier, each just under 10万 元."""
        suppliers = self._district.vendors["emall"]
        seller = suppliers[injection.variant % len(suppliers)]
        value = rng.randint(NEAR_BAND_YUAN[0], NEAR_BAND_YUAN[1]) * 100
        plan = self._emall_plan(rng, school, day, EMALL_GOODS[0], seller, value)
        plan.anomalies = frozenset({"P3_NEAR"})
        return plan

    def _emall_supplier(self, category: ProcurementCategory) -> Vendor:
        """The least-used supplier selling the category: half sell goods only, half goods and upkeep (R048's spread)."""
        suppliers = self._district.vendors["emall"]
        eligible = suppliers[1::2] if category is EMALL_UPKEEP else suppliers
        return min(eligible, key=lambda vendor: (self._emall_awards[vendor.org_id], vendor.org_id))

    def _everything_seller_due(self, school: School, day: date) -> Vendor | None:
        """Each seller of everything takes one purchase a working day, from a school chosen in turn."""
        if not self.everything_sellers:
            return None
        offset = (day - self._district.scenario.procurement_start).days
        for number, seller in enumerate(self.everything_sellers):
            if (offset + number) % len(
                self._district.schools
            ) == school.index and self._emall_awards[seller.org_id] < offset + 1:
                return seller
        return None

    # Competitive processes: plan, tender, bids, award, contract, payments.

    def _competitive(
        self, rng: random.Random, school: School, day: date, injection: Injection | None
    ) -> ProcessPlan:
        rule = injection.rule_id if injection and injection.rule_id != "R038" else None
        category = self._category(rng, school, day, rule)
        low, high = BUDGET_RANGE_YUAN[category.main]
        budget = rng.randint(low, min(high, 950_000) if category.main != "works" else high) * 100
        if rule == "P3":
            budget = rng.randint(1_400_000, 1_600_000) * 100
        method, details = _method(rng, budget, rule)
        plan = self._new_plan(school, day, category, method, details, budget, agency=school.agency)
        plan.anomalies = consequences(rule)
        plan.variant = injection.variant if injection else 0
        plan.planned_at = self._clock.at(day, rng.randint(9, 10), rng.randint(0, 59))
        # An anomaly must be provable inside the scenario, so its process runs at the legal minimum pace.
        hurried = rule is not None
        published_day = self._clock.workdays_after(day, 1 if hurried else rng.randint(1, 3))
        plan.published_at = self._clock.at(published_day, 10, rng.randint(0, 30))
        days = (
            SHORT_TENDER_DAYS
            if rule == "R003"
            else TENDER_DAYS[0]
            if hurried
            else rng.randint(*TENDER_DAYS)
        )
        plan.tender_end = self._clock.at(published_day + timedelta(days=days), 9, 30)
        plan.opened_at = plan.tender_end + timedelta(minutes=30)
        decided_day = self._clock.workdays_after(
            plan.tender_end.date(), 1 if hurried else rng.randint(1, 3)
        )
        plan.decided_at = self._clock.at(decided_day, 15, rng.randint(0, 59))
        late_notice = rule == "P7" and plan.variant == 0
        notice_delay = 5 if late_notice else 0 if hurried else rng.randint(0, 1)
        plan.notice_at = self._clock.at(
            self._clock.workdays_after(decided_day, notice_delay),
            16 if notice_delay == 0 else 10,
            30,
        )
        signed_day = self._clock.workdays_after(
            plan.notice_at.date() + timedelta(days=5 if hurried else rng.randint(5, 14)), 0
        )
        plan.signed_at = self._clock.at(signed_day, 10, rng.randint(0, 59))
        publication_delay = 6 if rule == "P7" and plan.variant == 1 else rng.randint(0, 1)
        plan.contract_published_at = self._clock.at(
            self._clock.workdays_after(signed_day, publication_delay), 16, 0
        )
        self._keep_contract_inside(plan)
        strict = school.agency.org_id in self._strict_agencies
        plan.bids, plan.winner = self._bidding.bids(
            rng,
            ocid=plan.ocid,
            kind=category.main,
            budget_fen=budget,
            published_at=plan.published_at,
            tender_end=plan.tender_end,
            strict=strict,
            rigging=_rigging(rng, rule, school.index in self.heavy_schools),
            always_lose=self._covers(rng, category, rule),
            always_disqualified=self._unqualified_due(rng, category, rule),
        )
        plan.value_fen = next(bid.amount_fen for bid in plan.bids if bid.vendor is plan.winner)
        self._schedule_performance(rng, plan, rule)
        self._note_population(school, plan)
        return plan

    def _keep_contract_inside(self, plan: ProcessPlan) -> None:
        """An award sent before the scenario ends gets its contract before the end too: a process cut off
        between award and contract would read as a missed signature deadline (P7) when the replay ends."""
        assert plan.notice_at is not None and plan.contract_published_at is not None
        end = moment(self._district.scenario.end, time.min)
        if plan.notice_at < end <= plan.contract_published_at:
            plan.signed_at = plan.notice_at + timedelta(hours=1)
            plan.contract_published_at = plan.signed_at + timedelta(minutes=30)

    def _note_population(self, school: School, plan: ProcessPlan) -> None:
        assert plan.notice_at is not None
        evidence = records.process_evidence(plan)
        bidders = {bid.vendor.org_id for bid in plan.bids}
        if school.index in self.heavy_schools:
            self.population.involve(
                "R038", ("school", school.school_id), school.school_id, plan.notice_at, evidence
            )
        for vendor in self.unqualified:
            if vendor.org_id in bidders:
                self.population.involve(
                    "R038", ("vendor", vendor.org_id), None, plan.notice_at, evidence
                )
        for vendor in self.cover_bidders:
            if vendor.org_id in bidders:
                self.population.involve(
                    "R025", ("vendor", vendor.org_id), None, plan.notice_at, evidence
                )

    def _category(
        self, rng: random.Random, school: School, day: date, rule: str | None
    ) -> ProcurementCategory:
        used = self._used_categories[(school.index, day.year)]
        if rule == "P3" and used & {"A02010104"}:
            return PROCUREMENT_CATEGORIES[0]  # the same item again: that is the split
        fresh = [
            category for category in PROCUREMENT_CATEGORIES if category.code not in used
        ] or list(PROCUREMENT_CATEGORIES)
        category = PROCUREMENT_CATEGORIES[0] if rule == "P3" else rng.choice(fresh)
        used.add(category.code)
        return category

    def _covers(
        self, rng: random.Random, category: ProcurementCategory, rule: str | None
    ) -> tuple[Vendor, ...]:
        if category.main != "goods" or rule in ("R018", "P6", "R035"):
            return ()
        return tuple(vendor for vendor in self.cover_bidders if rng.random() < 0.6)

    def _unqualified_due(
        self, rng: random.Random, category: ProcurementCategory, rule: str | None
    ) -> tuple[Vendor, ...]:
        if category.main != "goods" or rule is not None:
            return ()
        return tuple(
            vendor
            for vendor in self.unqualified
            if self._bidding.records[vendor.org_id].bids < 6 and rng.random() < 0.5
        )

    def _schedule_performance(
        self, rng: random.Random, plan: ProcessPlan, rule: str | None
    ) -> None:
        assert plan.signed_at is not None
        signed = plan.signed_at.date()
        total = plan.value_fen
        if rule == "P4":
            change = round(plan.value_fen * rng.uniform(0.15, 0.25) / 100) * 100
            plan.amendment = (self._clock.at(self._clock.workdays_after(signed, 3), 11, 0), change)
            total += change
        advance = round(plan.value_fen * 0.3 / 100) * 100
        plan.payments.append(
            (
                self._clock.at(self._clock.workdays_after(signed, rng.randint(3, 6)), 10, 30),
                "advance",
                advance,
            )
        )
        accepted = self._clock.workdays_after(signed, 5 if rule else rng.randint(12, 20))
        plan.accepted_at = self._clock.at(accepted, 15, 0)
        final = total - advance
        if rule == "P12":
            final += round(plan.value_fen * rng.uniform(0.12, 0.2) / 100) * 100
        plan.payments.append(
            (
                self._clock.at(
                    self._clock.workdays_after(accepted, 2 if rule else rng.randint(3, 6)), 10, 30
                ),
                "final",
                final,
            )
        )

    def _new_plan(
        self,
        school: School,
        day: date,
        category: ProcurementCategory,
        method: str,
        details: str,
        budget: int,
        *,
        agency: Vendor | None,
    ) -> ProcessPlan:
        self._process_numbers[school.index] += 1
        number = self._process_numbers[school.index]
        return ProcessPlan(
            ocid=f"{OCID_PREFIX}-{school.school_id}-{day.year}-{number:04d}",
            school_index=school.index,
            category=category,
            method=method,
            method_details=details,
            budget_fen=budget,
            budget_project_id=f"BP-{school.school_id}-{day.year}-{BUDGET_PROJECT_CODES[category.budget_project]}",
            agency=agency,
        )

    def _anomaly_vendors(self, kind: str, count: int, label: str) -> tuple[Vendor, ...]:
        district_id = self._district.scenario.district_id
        made = []
        for number in range(count):
            serial = (
                ANOMALY_VENDOR_SERIAL + len(made) + {"陪标": 0, "无资质": 100, "百货": 200}[label]
            )
            made.append(
                Vendor(
                    credit_code(ENTERPRISE, district_id, serial),
                    f"重庆{label}{number + 1}号商贸有限公司",
                    kind,
                    f"6001{serial:012d}",
                )
            )
        return tuple(made)


PROCESS_RULES = (
    "P3",
    "P4",
    "P6",
    "P7",
    "P10",
    "P12",
    "R003",
    "R018",
    "R024",
    "R028",
    "R030",
    "R035",
    "R036",
    "R058",
)


def _method(rng: random.Random, budget_fen: int, rule: str | None) -> tuple[str, str]:
    if rule == "R018":
        return "open", "公开招标"
    if rule == "P3":
        return "limited", "竞争性谈判"
    if budget_fen >= OPEN_TENDER_FROM_YUAN * 100:
        return "open", "公开招标"
    if budget_fen >= 400_000 * 100:
        return rng.choice((("limited", "竞争性谈判"), ("selective", "邀请招标")))
    return rng.choice((("limited", "询价"), ("limited", "竞争性磋商")))


def _rigging(rng: random.Random, rule: str | None, heavy_buyer: bool) -> Rigging:
    if heavy_buyer and rule is None:
        return Rigging(bidders=7, disqualified=4)
    return {
        "R018": Rigging(bidders=1),
        "P6": Rigging(bidders=2),
        "R035": Rigging(bidders=4, disqualified=3, keep_valid=1),
        "R036": Rigging(disqualified=1, lowest_disqualified=True),
        "R024": Rigging(gap=rng.uniform(0.0005, 0.002)),
        "R058": Rigging(gap=rng.uniform(0.35, 0.5)),
        "R028": Rigging(bidders=6, identical_prices=True),
        "R030": Rigging(late_winner=True),
        "P10": Rigging(shared_deposit_account=rng.random() < 0.5, shared_bid_file=True),
    }.get(rule or "", Rigging(bidders=rng.choice((5, 5, 6))))
