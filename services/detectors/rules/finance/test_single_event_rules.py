"""F1, F2, F4, F8, F10 and F_APPROVAL: single-event finance rules, table-driven."""

from __future__ import annotations

import pytest

from services.detectors.rules.finance.f1_unapproved_fees import RULE as F1
from services.detectors.rules.finance.f2_forbidden_fees import RULE as F2
from services.detectors.rules.finance.f4_insurance_premiums import RULE as F4
from services.detectors.rules.finance.f8_hospitality import RULE as F8
from services.detectors.rules.finance.f10_class_teacher_allowance import RULE as F10
from services.detectors.rules.finance.f_approval_anomalies import RULE as F_APPROVAL
from services.detectors.rules.finance.fixtures import (
    STUDENT,
    approval,
    fee_charge,
    hospitality,
    payroll,
    reimbursement,
    voucher,
)
from services.detectors.testing import run


@pytest.mark.parametrize(
    ("charge", "expected"),
    [
        (
            fee_charge("1", category="tuition", item="学费", grade=5),
            [("tuition_in_compulsory", "red")],
        ),
        (fee_charge("2", category="tuition", item="学费", grade=10), []),
        (fee_charge("3", document=None), [("not_approved", "orange")]),
        (fee_charge("4", standard_yuan=None), [("not_approved", "orange")]),
        (fee_charge("5", amount_yuan=41), [("above_standard", "orange")]),
        (fee_charge("6", amount_yuan=40), []),
        (fee_charge("7", document=None, collected_by="third_party"), []),
    ],
    ids=[
        "tuition in grade 5",
        "tuition in high school",
        "no approving document",
        "no standard",
        "above standard",
        "boundary: at standard",
        "third party",
    ],
)
def test_f1_fees_must_be_approved(charge, expected):
    assert [(a["details"]["finding"], a["severity"]) for a in run(F1, [charge])] == expected


def test_f1_alert_names_the_student():
    [alert] = run(F1, [fee_charge("5", amount_yuan=45)])
    assert alert["subject"] == {"kind": "student", "id": STUDENT}
    assert (alert["measured_value"], alert["threshold"]) == ("45", "40")


@pytest.mark.parametrize(
    ("item", "fires"),
    [
        ("试卷费", True),
        ("计算机上机费", True),
        ("空调降温费", True),
        ("饮水费", True),
        ("住宿费", False),
        ("课后服务费", False),
    ],
)
def test_f2_forbidden_items(item, fires):
    assert bool(run(F2, [fee_charge("1", item=item, category="service")])) is fires


@pytest.mark.parametrize(
    ("category", "collected_by", "fires"),
    [
        ("insurance", "school", True),
        ("insurance", "third_party", False),
        ("accommodation", "school", False),
    ],
)
def test_f4_school_may_not_collect_insurance(category, collected_by, fires):
    assert (
        bool(
            run(F4, [fee_charge("1", item="学平险", category=category, collected_by=collected_by)])
        )
        is fires
    )


@pytest.mark.parametrize(
    ("guests", "companions", "letter", "meals", "expected"),
    [
        (5, 3, True, 1, []),
        (5, 4, True, 1, ["too_many_companions"]),
        (10, 3, True, 1, []),
        (12, 4, True, 1, []),
        (12, 5, True, 1, ["too_many_companions"]),
        (5, 2, False, 1, ["no_letter"]),
        (5, 2, True, 2, ["too_many_meals"]),
    ],
    ids=[
        "3 for 5 guests",
        "4 for 5 guests",
        "boundary: 3 for 10",
        "4 for 12 (a third)",
        "5 for 12",
        "no letter",
        "two meals",
    ],
)
def test_f8_hospitality(guests, companions, letter, meals, expected):
    alerts = run(
        F8, [hospitality("H-1", guests=guests, companions=companions, letter=letter, meals=meals)]
    )
    assert [a["details"]["finding"] for a in alerts] == expected


def test_f10_class_teacher_allowance():
    event = payroll(
        "PR-1",
        ("S-1", "class_teacher", "class_teacher_allowance", 500),
        ("S-2", "class_teacher", "class_teacher_allowance", 300),
        ("S-2", "class_teacher", "class_teacher_allowance", 199),
        ("S-3", "class_teacher", "performance_pay", 2000),
        ("S-4", "subject_teacher", "performance_pay", 100),
    )
    alerts = run(F10, [event])
    assert [(a["subject"]["id"], a["measured_value"]) for a in alerts] == [
        ("S-2", "499"),
        ("S-3", "0"),
    ]
    assert alerts[0]["window"] == {
        "start": "2026-09-01T00:00:00+08:00",
        "end": "2026-10-01T00:00:00+08:00",
    }


@pytest.mark.parametrize(
    ("acted_at", "expected"),
    [
        ("2026-09-20T21:59:00+08:00", []),
        ("2026-09-20T22:00:00+08:00", ["odd_hour"]),
        ("2026-09-21T05:59:00+08:00", ["odd_hour"]),
        ("2026-09-21T06:00:00+08:00", []),
        ("2026-09-20T15:00:00Z", ["odd_hour"]),
    ],
    ids=["21:59", "boundary 22:00", "05:59", "boundary 06:00", "23:00 China time given in UTC"],
)
def test_f_approval_odd_hours(acted_at, expected):
    chain = [
        approval(1, "S-REQ", "2026-09-20T10:00:00+08:00", action="submitted"),
        approval(2, "S-P", acted_at),
    ]
    assert [
        a["details"]["finding"] for a in run(F_APPROVAL, [voucher("V-1", 100, chain=chain)])
    ] == expected


def test_f_approval_self_approval_on_vouchers_and_reimbursements():
    day = "2026-09-20T10:00:00+08:00"
    self_voucher = voucher(
        "V-1", 100, chain=[approval(1, "S-REQ", day, action="submitted"), approval(2, "S-REQ", day)]
    )
    self_claim = reimbursement(
        "R-1", (None, "12345678901234567890"), claimant="S-X", chain=[approval(1, "S-X", day)]
    )
    rejected_own = voucher("V-2", 100, chain=[approval(1, "S-REQ", day, action="rejected")])
    alerts = run(F_APPROVAL, [self_voucher, self_claim, rejected_own])
    assert [(a["subject"]["id"], a["details"]["finding"]) for a in alerts] == [
        ("S-REQ", "self_approval"),
        ("S-X", "self_approval"),
    ]
