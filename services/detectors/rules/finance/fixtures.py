"""Contract-valid finance events for the finance rules' tests."""

from __future__ import annotations

from typing import Any

from services.detectors.testing import ORG_A, SCHOOL, event, staff

TERM = "2026-2027-1"
STUDENT = "pn:" + "1" * 32


def fee_charge(
    charge_id: str,
    *,
    item: str = "住宿费",
    category: str = "accommodation",
    grade: int = 8,
    amount_yuan: int = 40,
    standard_yuan: int | None = 40,
    document: str | None = "渝价〔2013〕71号",
    collected_by: str = "school",
    student: str = STUDENT,
) -> dict[str, Any]:
    return event(
        "finance.fee_charge",
        {
            "charge_id": charge_id,
            "charged_at": "2026-09-03T10:00:00+08:00",
            "term": TERM,
            "student": {"student_id": student},
            "grade": grade,
            "fee_item_code": f"FEE-{category}",
            "fee_item_name": item,
            "fee_category": category,
            "standard_fen": None if standard_yuan is None else standard_yuan * 100,
            "amount_fen": amount_yuan * 100,
            "approval_document": document,
            "collected_by": collected_by,
            "voluntary": False,
        },
        at="2026-09-03T10:00:00+08:00",
        event_id=f"charge-{charge_id}",
    )


def hospitality(
    hospitality_id: str, *, guests: int, companions: int, letter: bool = True, meals: int = 1
) -> dict[str, Any]:
    return event(
        "finance.hospitality",
        {
            "hospitality_id": hospitality_id,
            "reception_date": "2026-09-15",
            "letter": {
                "letter_id": "涪教函〔2026〕12号",
                "issuing_unit": "区教委",
                "received_on": "2026-09-10",
            }
            if letter
            else None,
            "guests": [{"name": "pn:" + "e" * 32, "unit": "区教委"} for _ in range(guests)],
            "companions": [staff(f"S-C{i}") for i in range(companions)],
            "meals": meals,
            "amount_fen": 60000,
            "venue": "学校食堂",
            "approved_by": staff("S-PRINCIPAL"),
            "voucher_id": None,
        },
        at="2026-09-15T13:00:00+08:00",
        event_id=f"hosp-{hospitality_id}",
    )


def payroll(
    payroll_id: str, *lines: tuple[str, str, str, int], month: str = "2026-09"
) -> dict[str, Any]:
    """Lines are (staff id, role, allowance type, amount in 元)."""
    return event(
        "finance.payroll_allowance",
        {
            "payroll_id": payroll_id,
            "month": month,
            "paid_at": f"{month}-25T10:00:00+08:00",
            "lines": [
                {
                    "staff": staff(s),
                    "role": role,
                    "allowance_type": kind,
                    "class_id": None,
                    "amount_fen": yuan * 100,
                }
                for s, role, kind, yuan in lines
            ],
        },
        at=f"{month}-25T10:00:00+08:00",
        event_id=f"payroll-{payroll_id}",
    )


def approval(
    step: int, actor: str, at: str, *, action: str = "approved", role: str = "principal"
) -> dict[str, Any]:
    return {"step": step, "role": role, "actor_staff_id": actor, "action": action, "acted_at": at}


def voucher(
    voucher_id: str,
    amount_yuan: int,
    *,
    at: str = "2026-09-20T10:00:00+08:00",
    requester: str = "S-REQ",
    chain: list[dict[str, Any]] | None = None,
    meeting_id: str | None = None,
    contract_id: str | None = None,
    invoices: tuple[str, ...] = (),
    school: str = SCHOOL,
) -> dict[str, Any]:
    chain = (
        chain
        if chain is not None
        else [
            approval(1, requester, at, action="submitted", role="requester"),
            approval(2, "S-PRINCIPAL", at),
        ]
    )
    return event(
        "finance.payment_voucher",
        {
            "voucher_id": voucher_id,
            "voucher_no": f"记-{voucher_id}",
            "created_at": at,
            "paid_at": at,
            "amount_fen": amount_yuan * 100,
            "fund_source": "operating_fund",
            "expense_category": "30201",
            "purpose": "办公用品",
            "payee": {
                "payee_type": "supplier",
                "org_id": ORG_A,
                "org_name": "供应商",
                "account_no": "6222000011112222",
            },
            "requester": staff(requester),
            "approval_chain": chain,
            "contract_id": contract_id,
            "ocid": None,
            "invoice_numbers": list(invoices),
            "meeting_id": meeting_id,
        },
        at=at,
        event_id=f"voucher-{voucher_id}",
        school=school,
    )


def reimbursement(
    reimbursement_id: str,
    *invoices: tuple[str | None, str],
    at: str = "2026-09-20T10:00:00+08:00",
    claimant: str = "S-CLAIM",
    chain: list[dict[str, Any]] | None = None,
    school: str = SCHOOL,
) -> dict[str, Any]:
    chain = chain if chain is not None else [approval(1, "S-PRINCIPAL", at)]
    return event(
        "finance.reimbursement",
        {
            "reimbursement_id": reimbursement_id,
            "submitted_at": at,
            "claimant": staff(claimant),
            "purpose": "差旅",
            "expense_category": "30211",
            "fund_source": "operating_fund",
            "amount_fen": 50000,
            "invoices": [
                {
                    "invoice_code": code,
                    "invoice_number": number,
                    "seller_id": ORG_A,
                    "issued_on": at[:10],
                    "total_fen": 50000,
                }
                for code, number in invoices
            ],
            "approval_chain": chain,
        },
        at=at,
        event_id=f"reimb-{reimbursement_id}-{school}",
        school=school,
    )


def aid(
    disbursement_id: str,
    student: str,
    *,
    at: str,
    category: str = "boarding_living_allowance",
    term: str = TERM,
) -> dict[str, Any]:
    return event(
        "finance.aid_disbursement",
        {
            "disbursement_id": disbursement_id,
            "paid_at": at,
            "term": term,
            "student": {"student_id": student},
            "aid_category": category,
            "is_boarding": True,
            "amount_fen": 62500,
            "recipient_account_no": "6222000033334444",
            "account_holder_name": "pn:" + "f" * 32,
            "batch_id": "BATCH-1",
        },
        at=at,
        event_id=f"aid-{disbursement_id}",
    )


def meeting(
    meeting_id: str,
    *,
    at: str,
    outcome: str = "approved",
    amount_yuan: int | None = 200_000,
    quorum: bool = True,
) -> dict[str, Any]:
    return event(
        "finance.collective_decision",
        {
            "meeting_id": meeting_id,
            "meeting_type": "party_committee",
            "held_at": at,
            "minutes_no": f"纪要-{meeting_id}",
            "chaired_by": staff("S-SECRETARY"),
            "attendees": [staff("S-SECRETARY"), staff("S-PRINCIPAL"), staff("S-VP")],
            "quorum_met": quorum,
            "decisions": [
                {
                    "decision_id": f"D-{meeting_id}",
                    "category": "large_fund_use",
                    "subject": "采购教学设备",
                    "amount_fen": None if amount_yuan is None else amount_yuan * 100,
                    "contract_id": None,
                    "outcome": outcome,
                }
            ],
        },
        at=at,
        event_id=f"meeting-{meeting_id}",
    )
