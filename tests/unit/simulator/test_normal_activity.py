"""Normal activity stays clear of every detector threshold, with margin (checked on the events themselves)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from services.ingest.simulator.activities.payments import next_meeting_day
from services.ingest.simulator.benford import conforming_fen, first_digit_mad
from tests.unit.simulator.conftest import Output


def test_bulk_deliveries_are_checked_by_two_people_other_than_the_purchaser(
    normal_run: Output,
) -> None:
    """C6."""
    for event in normal_run.of_type("canteen.inbound_inspection"):
        data = event["data"]
        inspectors = {person["staff_id"] for person in data["inspectors"]}
        assert len(inspectors - {data["purchaser"]["staff_id"]}) >= 2
        assert data["purchaser"]["staff_id"] not in inspectors


def test_every_meal_has_a_school_leader_eating_with_the_pupils(normal_run: Output) -> None:
    """C7."""
    for event in normal_run.of_type("canteen.meal_service"):
        assert any(
            person["role"] != "class_teacher" for person in event["data"]["accompanying_leaders"]
        )


def test_the_storeroom_balances_every_day(normal_run: Output) -> None:
    """C9: opening + inbound − outbound = book = counted, and nothing is issued that is not there."""
    for event in normal_run.of_type("canteen.stock_count"):
        for line in event["data"]["lines"]:
            opening, inbound, outbound = (
                Decimal(line[key])
                for key in ("opening_quantity", "inbound_quantity", "outbound_quantity")
            )
            assert outbound <= opening + inbound
            assert (
                Decimal(line["book_quantity"])
                == opening + inbound - outbound
                == Decimal(line["counted_quantity"])
            )


def test_meals_never_exceed_the_roster(normal_run: Output) -> None:
    """C_MEALS."""
    totals = {
        event["schoolid"]: event["data"]["total_students"]
        for event in normal_run.of_type("enrollment.roster_snapshot")
    }
    for event in normal_run.of_type("canteen.meal_service"):
        assert event["data"]["student_meals"] <= totals[event["schoolid"]]


def test_unit_prices_stay_well_under_the_district_median_fence(normal_run: Output) -> None:
    """C_PRICE alerts above 1.3 × the median; normal prices stay within 1.2 ×."""
    prices = defaultdict(list)
    for event in normal_run.of_type("canteen.purchase_order"):
        for line in event["data"]["lines"]:
            prices[(line["item_code"], event["data"]["ordered_at"][:7])].append(
                line["unit_price_fen"]
            )
    for values in prices.values():
        assert max(values) <= 1.2 * statistics.median(values)


def test_subsidy_claims_are_beneficiaries_times_days_times_the_standard(normal_run: Output) -> None:
    """C1 (over-claim)."""
    claims = normal_run.of_type("canteen.subsidy_claim")
    assert claims
    for event in claims:
        data = event["data"]
        rate = data["standard_fen_per_day"] + data["local_supplement_fen_per_day"]
        assert data["claimed_amount_fen"] == data["beneficiary_count"] * data["meal_days"] * rate
        assert data["beneficiary_count"] == len(data["beneficiaries"])


def test_canteen_books_balance(normal_run: Output) -> None:
    """C1 (under-spend) and C3: the subsidy is spent on food, and income does not outrun spending."""
    income, spent, claimed, subsidy_food = (defaultdict(int) for _ in range(4))
    for event in normal_run.of_type("canteen.subsidy_claim"):
        claimed[event["schoolid"]] += event["data"]["claimed_amount_fen"]
        income[event["schoolid"]] += event["data"]["claimed_amount_fen"]
    for event in normal_run.of_type("canteen.meal_fee_payment"):
        income[event["schoolid"]] += event["data"]["amount_fen"]
    for event in normal_run.of_type("canteen.subsidy_spending"):
        spent[event["schoolid"]] += event["data"]["amount_fen"]
        if (
            event["data"]["fund_source"].startswith("nutrition_subsidy")
            and event["data"]["expense_category"] == "food"
        ):
            subsidy_food[event["schoolid"]] += event["data"]["amount_fen"]
    for school, amount in claimed.items():
        assert subsidy_food[school] >= amount
    for school, amount in income.items():
        assert amount - spent[school] <= 0.01 * amount, school


def test_subsidy_money_only_buys_food(normal_run: Output) -> None:
    """C2."""
    for event in normal_run.of_type("canteen.subsidy_spending"):
        if event["data"]["fund_source"].startswith("nutrition_subsidy"):
            assert event["data"]["expense_category"] == "food"


def test_classes_stay_within_the_standard(normal_run: Output) -> None:
    """E3: 45 in primary grades, 50 from grade 7, with room to spare."""
    for event in normal_run.of_type("enrollment.roster_snapshot"):
        for cls in event["data"]["classes"]:
            assert cls["student_count"] <= (43 if cls["grade"] <= 6 else 47)


def test_admissions_stay_within_the_plan(normal_run: Output) -> None:
    """E5."""
    quota = {
        event["data"]["plan_id"]: event["data"]["approved_quota"]
        for event in normal_run.of_type("enrollment.admission_plan")
    }
    admitted = defaultdict(int)
    for event in normal_run.of_type("enrollment.admission"):
        admitted[event["data"]["plan_id"]] += 1
    assert admitted and all(count <= quota[plan] for plan, count in admitted.items())


def test_every_person_has_one_registration(normal_run: Output) -> None:
    """E1."""
    registrations = normal_run.of_type("enrollment.registration")
    assert len({event["data"]["student"]["id_number"] for event in registrations}) == len(
        registrations
    )


def test_only_approved_fees_are_charged_at_their_standard(normal_run: Output) -> None:
    """F1, F2 and F4."""
    forbidden = (
        "讲义",
        "资料",
        "试卷",
        "电子阅览",
        "上机",
        "计算机",
        "取暖",
        "降温",
        "空调",
        "饮水",
        "安全保卫",
        "保安",
    )
    for event in normal_run.of_type("finance.fee_charge"):
        data = event["data"]
        assert (
            data["approval_document"]
            and data["standard_fen"] is not None
            and data["amount_fen"] <= data["standard_fen"]
        )
        assert not (data["grade"] <= 9 and data["fee_category"] in ("tuition", "miscellaneous"))
        assert data["fee_category"] != "insurance"
        assert not any(word in data["fee_item_name"] for word in forbidden)


def test_aid_goes_to_registered_pupils_once_a_term(normal_run: Output) -> None:
    """F6."""
    registered = {
        (event["schoolid"], event["data"]["student"]["student_id"])
        for event in normal_run.of_type("enrollment.registration")
    }
    paid = [
        (event["schoolid"], event["data"]["student"]["student_id"], event["data"]["term"])
        for event in normal_run.of_type("finance.aid_disbursement")
    ]
    assert paid and len(set(paid)) == len(paid)
    assert all((school, student) in registered for school, student, _ in paid)


def test_invoices_are_claimed_once(normal_run: Output) -> None:
    """F7."""
    numbers = [
        invoice["invoice_number"]
        for event in normal_run.of_type("finance.reimbursement")
        for invoice in event["data"]["invoices"]
    ]
    assert numbers and len(set(numbers)) == len(numbers)


def test_hospitality_has_a_letter_few_companions_and_one_meal(normal_run: Output) -> None:
    """F8."""
    for event in normal_run.of_type("finance.hospitality"):
        data = event["data"]
        assert data["letter"] is not None and len(data["companions"]) <= 2 and data["meals"] == 1


def test_class_teachers_get_at_least_600_yuan(normal_run: Output) -> None:
    """F10 alerts under 500 元."""
    lines = [
        line
        for event in normal_run.of_type("finance.payroll_allowance")
        for line in event["data"]["lines"]
        if line["role"] == "class_teacher"
    ]
    assert lines and min(line["amount_fen"] for line in lines) >= 60_000


def test_large_payments_cite_an_earlier_meeting_that_approved_them(normal_run: Output) -> None:
    """F11: 10万 元 or more needs a collective decision held before the payment."""
    meetings = {
        event["data"]["meeting_id"]: event["data"]
        for event in normal_run.of_type("finance.collective_decision")
    }
    for event in normal_run.of_type("finance.payment_voucher"):
        data = event["data"]
        if data["amount_fen"] >= 10_000_000:
            meeting = meetings[data["meeting_id"]]
            assert datetime.fromisoformat(meeting["held_at"]) < datetime.fromisoformat(
                data["paid_at"]
            )
            assert any(
                d["amount_fen"] and d["amount_fen"] >= data["amount_fen"]
                for d in meeting["decisions"]
            )


@pytest.mark.parametrize(
    ("day", "following"),
    [
        (date(2025, 9, 1), date(2025, 9, 8)),  # an ordinary week
        (
            date(2025, 9, 29),
            date(2025, 10, 9),
        ),  # across 国庆: the week of 6 October opens on Thursday the 9th
    ],
)
def test_a_meeting_approves_the_payments_due_until_the_next_meeting(
    day: date, following: date
) -> None:
    """The weekly meeting covers the large payments up to the next one, however long a holiday
    lies between: contract payments due on 9 October 2025 had no meeting (F11 alerted them)."""
    assert next_meeting_day(day) == following


def test_approvals_happen_in_office_hours_by_someone_else(normal_run: Output) -> None:
    """F_APPROVAL: no approval between 22:00 and 06:00, no requester approving their own request."""
    for event in normal_run.of_type("finance.payment_voucher") + normal_run.of_type(
        "finance.reimbursement"
    ):
        data = event["data"]
        requester = (data.get("requester") or data["claimant"])["staff_id"]
        for step in data["approval_chain"]:
            if step["action"] == "approved":
                assert 6 <= datetime.fromisoformat(step["acted_at"]).hour < 22
                assert step["actor_staff_id"] != requester


def test_payment_amounts_follow_benford_closely() -> None:
    """F_BENFORD alerts above a MAD of 0.015 with 300 records; any run of 300 normal amounts stays near 0.003."""
    for offset in (0.0, 0.31, 0.77):
        for first in (0, 113, 1000):
            assert (
                first_digit_mad(
                    [conforming_fen(index, offset) for index in range(first, first + 300)]
                )
                < 0.006
            )


def test_tenders_stay_open_long_enough_and_draw_enough_bidders(normal_run: Output) -> None:
    """R003 (15 days), R018 and P6 (three responsive bidders)."""
    tenders = normal_run.of_type("procurement.tender")
    assert tenders
    for event in tenders:
        period = event["data"]["tender_period"]
        assert datetime.fromisoformat(period["end"]) - datetime.fromisoformat(
            period["start"]
        ) >= timedelta(days=18)
    valid = defaultdict(set)
    for event in normal_run.of_type("procurement.bid"):
        if event["data"]["status"] == "valid":
            valid[event["data"]["ocid"]].add(event["data"]["tenderers"][0]["id"])
    assert valid and min(len(tenderers) for tenderers in valid.values()) >= 3


def test_bids_carry_no_rigging_signals(normal_run: Output) -> None:
    """P10 and R028: own deposit account, own price, own bid file in every process."""
    by_process = defaultdict(list)
    for event in normal_run.of_type("procurement.bid"):
        by_process[event["data"]["ocid"]].append(event["data"])
    for bids in by_process.values():
        for read in (
            lambda bid: bid["deposit"]["payer_account_no"],
            lambda bid: bid["value"]["amount_fen"],
            lambda bid: bid["document_author"],
            lambda bid: bid["document_machine_code"],
        ):
            values = [read(bid) for bid in bids]
            assert len(set(values)) == len(values)


def test_no_tenderer_has_more_than_a_third_of_its_bids_disqualified(normal_run: Output) -> None:
    """R038: a vendor rejected once with few bids behind it (1 of 2) stood above the tenderers' fence."""
    bids, disqualified = Counter(), Counter()
    for event in normal_run.of_type("procurement.bid"):
        for tenderer in event["data"]["tenderers"]:
            bids[tenderer["id"]] += 1
            disqualified[tenderer["id"]] += event["data"]["status"] == "disqualified"
    assert sum(disqualified.values()) > 0
    assert max(disqualified[vendor] / bids[vendor] for vendor in bids) <= 1 / 3


def test_the_runner_up_is_seven_or_nine_percent_above_the_winner(normal_run: Output) -> None:
    """R024 and R058 compare this gap with its quartiles; two tight clusters keep both fences clear of it."""
    awards = {
        event["data"]["ocid"]: event["data"]["suppliers"][0]["id"]
        for event in normal_run.of_type("procurement.award")
    }
    prices = defaultdict(dict)
    for event in normal_run.of_type("procurement.bid"):
        data = event["data"]
        if data["status"] == "valid":
            prices[data["ocid"]][data["tenderers"][0]["id"]] = data["value"]["amount_fen"]
    gaps = []
    for ocid, offers in prices.items():
        if ocid in awards and len(offers) > 1:
            winner = offers[awards[ocid]]
            assert winner == min(offers.values())
            gaps.append(sorted(offers.values())[1] / winner - 1)
    assert gaps and all(0.06 <= gap <= 0.1 for gap in gaps)


def test_no_cluster_of_purchases_sits_just_under_a_threshold(normal_run: Output) -> None:
    """P3_NEAR: never three purchases from one supplier in [0.9 T, T) within 30 days."""
    bands = (5_000_000, 10_000_000, 100_000_000, 200_000_000)
    near = defaultdict(list)
    for event in normal_run.of_type("canteen.purchase_order") + normal_run.of_type(
        "procurement.contract"
    ):
        data = event["data"]
        amount = data.get("total_amount_fen", data.get("value_fen"))
        for threshold in bands:
            if 0.9 * threshold <= amount < threshold:
                near[(event["schoolid"], data["supplier"]["id"], threshold)].append(event["time"])
    assert all(len(times) < 3 for times in near.values())


def test_contracts_follow_awards_in_time(normal_run: Output) -> None:
    """P7: notices within two working days of the decision, every award's contract inside the scenario."""
    contracts = {event["data"]["award_id"] for event in normal_run.of_type("procurement.contract")}
    for event in normal_run.of_type("procurement.award"):
        data = event["data"]
        assert data["award_id"] in contracts
        assert datetime.fromisoformat(data["notice_published_at"]) - datetime.fromisoformat(
            data["decided_at"]
        ) < timedelta(days=5)
