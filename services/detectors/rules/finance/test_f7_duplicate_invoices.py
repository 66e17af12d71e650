from __future__ import annotations

from services.detectors.rules.finance.f7_duplicate_invoices import RULE
from services.detectors.rules.finance.fixtures import reimbursement
from services.detectors.testing import OTHER_SCHOOL, SCHOOL, assert_order_independent, run

DIGITAL = (None, "26502000000012345678")
PAPER = ("050002200111", "00123456")


def test_an_invoice_claimed_again_at_another_school_is_alerted_there():
    first = reimbursement("R-1", DIGITAL, PAPER, at="2026-09-10T10:00:00+08:00")
    again = reimbursement("R-9", DIGITAL, at="2026-09-20T10:00:00+08:00", school=OTHER_SCHOOL)
    [alert] = assert_order_independent(RULE, [first, again], lateness_minutes=60 * 24 * 20)
    assert (alert["school_id"], alert["subject"]) == (
        OTHER_SCHOOL,
        {"kind": "invoice", "id": "/26502000000012345678"},
    )
    assert alert["details"]["first_claim"] == f"{SCHOOL}/R-1"
    assert alert["evidence_event_ids"] == [first["id"], again["id"]]


def test_the_same_claim_redelivered_is_not_a_duplicate():
    first = reimbursement("R-1", DIGITAL)
    assert run(RULE, [first, first]) == []


def test_same_number_with_another_code_is_another_invoice():
    assert (
        run(RULE, [reimbursement("R-1", PAPER), reimbursement("R-2", ("050002200999", "00123456"))])
        == []
    )


def test_every_repeat_is_alerted():
    claims = [
        reimbursement(f"R-{i}", PAPER, at=f"2026-09-{10 + i}T10:00:00+08:00") for i in range(3)
    ]
    assert [a["measured_value"] for a in run(RULE, claims)] == ["2", "3"]
