"""The contracts' procurement records for a planned process (OCDS-shaped ids: one ocid per process)."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any

from services.ingest.simulator.model import School, Vendor
from services.ingest.simulator.people import person_name
from services.ingest.simulator.procurement.plans import BidPlan, ProcessPlan

CLASSIFICATION_SCHEME = "政府采购品目分类目录"
FUND_SOURCE = {
    "goods": "fiscal_appropriation",
    "services": "fiscal_appropriation",
    "works": "special_transfer",
}
DEPOSIT_SHARE = 0.01  # of the budget; the law caps it at 2 %


def event_ids(plan: ProcessPlan) -> dict[str, str]:
    """Each step's event id, derived from the ocid so evidence can be named before it is sent."""
    steps = (
        "plan",
        "tender-published",
        "tender-closed",
        "award",
        "contract",
        "amendment",
        "acceptance",
    )
    ids = {step: f"{plan.ocid}-{step}" for step in steps}
    ids.update({f"payment-{kind}": f"{plan.ocid}-payment-{kind}" for _, kind, _ in plan.payments})
    ids.update({bid.bid_id: bid.bid_id for bid in plan.bids})
    return ids


def process_evidence(plan: ProcessPlan) -> tuple[str, ...]:
    """The events a Cardinal finding about the process cites: its latest tender, every bid, the award."""
    ids = event_ids(plan)
    parts = [ids["award"], *(bid.bid_id for bid in plan.bids)]
    if plan.bids:
        parts.append(ids["tender-closed"])
    return tuple(sorted(parts))


def tender_id(plan: ProcessPlan) -> str:
    return f"{plan.ocid}-T"


def award_id(plan: ProcessPlan) -> str:
    return f"{plan.ocid}-A1"


def contract_id(plan: ProcessPlan) -> str:
    return f"{plan.ocid}-C1"


def money(amount_fen: int) -> dict[str, Any]:
    return {"amount_fen": amount_fen, "currency": "CNY"}


def items(plan: ProcessPlan) -> list[dict[str, Any]]:
    category = plan.category
    return [
        {
            "id": f"{plan.ocid}-I1",
            "description": category.name,
            "classification": {
                "scheme": CLASSIFICATION_SCHEME,
                "id": category.code,
                "description": category.name,
            },
            "quantity": "1",
            "unit": "项",
        }
    ]


def plan_record(plan: ProcessPlan, school: School) -> dict[str, Any]:
    assert plan.planned_at is not None
    return {
        "ocid": plan.ocid,
        "plan_id": f"{plan.ocid}-P",
        "planned_at": plan.planned_at.isoformat(),
        "fiscal_year": plan.planned_at.year,
        "budget_project_id": plan.budget_project_id,
        "budget_project_name": plan.category.budget_project,
        "fund_source": FUND_SOURCE[plan.category.main],
        **_category(plan),
        "estimated_value_fen": plan.budget_fen,
        "is_centralized": False,
        "items": items(plan),
    }


def tender_record(plan: ProcessPlan, school: School, *, closed: bool) -> dict[str, Any]:
    assert plan.published_at is not None and plan.tender_end is not None
    return {
        "ocid": plan.ocid,
        "tender_id": tender_id(plan),
        "title": f"{school.name}{plan.category.name}采购项目",
        "status": "complete" if closed else "active",
        "buyer": school.organization.ref(),
        "procuring_entity": (plan.agency or school.organization).ref(),
        "fiscal_year": plan.published_at.year,
        "budget_project_id": plan.budget_project_id,
        **_category(plan),
        "value_fen": plan.budget_fen,
        "bid_deposit_fen": round(plan.budget_fen * DEPOSIT_SHARE / 100) * 100,
        "published_at": plan.published_at.isoformat(),
        "tender_period": {
            "start": plan.published_at.isoformat(),
            "end": plan.tender_end.isoformat(),
        },
        "number_of_tenderers": len(plan.bids) if closed else None,
        "items": items(plan),
    }


def bid_record(plan: ProcessPlan, bid: BidPlan) -> dict[str, Any]:
    file_of = bid.bid_file_of or bid.vendor
    record: dict[str, Any] = {
        "ocid": plan.ocid,
        "bid_id": bid.bid_id,
        "tender_id": tender_id(plan),
        "status": "disqualified" if bid.disqualified else "valid",
        "submitted_at": bid.submitted_at.isoformat(),
        "tenderers": [bid.vendor.ref()],
        "value": money(bid.amount_fen),
        "deposit": {
            "amount_fen": round(plan.budget_fen * DEPOSIT_SHARE / 100) * 100,
            "payer_name": bid.vendor.name,
            "payer_account_no": bid.deposit_account or bid.vendor.account_no,
            "paid_at": bid.submitted_at.isoformat(),
        },
        "document_author": _author(file_of),
        "document_machine_code": f"MAC-{file_of.org_id[-10:]}",
    }
    if bid.disqualified:
        record["disqualification_reason"] = "资格审查不合格：未按招标文件要求提供有效资质证明"
    return record


def award_record(plan: ProcessPlan) -> dict[str, Any]:
    assert plan.decided_at is not None and plan.winner is not None
    return {
        "ocid": plan.ocid,
        "award_id": award_id(plan),
        "tender_id": tender_id(plan),
        "status": "active",
        "decided_at": plan.decided_at.isoformat(),
        "notice_published_at": plan.notice_at.isoformat() if plan.notice_at else None,
        "suppliers": [plan.winner.ref()],
        "value": money(plan.value_fen),
        "items": items(plan),
    }


def contract_record(plan: ProcessPlan, school: School) -> dict[str, Any]:
    assert plan.signed_at is not None and plan.winner is not None
    return {
        "ocid": plan.ocid,
        "contract_id": contract_id(plan),
        "award_id": award_id(plan),
        "title": f"{school.name}{plan.category.name}采购合同",
        "status": "active",
        "supplier": plan.winner.ref(),
        "value_fen": plan.value_fen,
        "signed_at": plan.signed_at.isoformat(),
        "published_at": plan.contract_published_at.isoformat()
        if plan.contract_published_at
        else None,
        "period": {
            "start_date": plan.signed_at.date().isoformat(),
            "end_date": f"{plan.signed_at.year}-12-31",
        },
        "fiscal_year": plan.signed_at.year,
        "budget_project_id": plan.budget_project_id,
        **_category(plan),
    }


def amendment_record(plan: ProcessPlan, at: datetime, change_fen: int) -> dict[str, Any]:
    return {
        "ocid": plan.ocid,
        "amendment_id": f"{plan.ocid}-M1",
        "contract_id": contract_id(plan),
        "amended_at": at.isoformat(),
        "status": "approved",
        "original_value_fen": plan.value_fen,
        "value_change_fen": change_fen,
        "new_value_fen": plan.value_fen + change_fen,
        "rationale": "因教学需求增加，追加采购同类货物",
    }


def acceptance_record(plan: ProcessPlan, school: School) -> dict[str, Any]:
    assert plan.accepted_at is not None
    return {
        "ocid": plan.ocid,
        "acceptance_id": f"{plan.ocid}-K1",
        "contract_id": contract_id(plan),
        "accepted_at": plan.accepted_at.isoformat(),
        "result": "passed",
        "inspectors": [school.staff.vice_principal.ref(), school.staff.department_heads[0].ref()],
        "accepted_value_fen": plan.value_fen,
        "certificate_no": f"YS{plan.accepted_at:%Y%m%d}{plan.ocid[-4:]}",
    }


def payment_record(
    plan: ProcessPlan, school: School, at: datetime, kind: str, amount_fen: int
) -> dict[str, Any]:
    assert plan.winner is not None
    return {
        "ocid": plan.ocid,
        "payment_id": f"{plan.ocid}-{kind}",
        "contract_id": contract_id(plan),
        "paid_at": at.isoformat(),
        "kind": kind,
        "amount_fen": amount_fen,
        "payer": school.organization.ref(),
        "payee": plan.winner.ref(),
        "payee_account_no": plan.winner.account_no,
        "acceptance_id": f"{plan.ocid}-K1" if kind == "final" and plan.accepted_at else None,
    }


def _category(plan: ProcessPlan) -> dict[str, Any]:
    category = plan.category
    return {
        "item_category": {
            "scheme": CLASSIFICATION_SCHEME,
            "id": category.code,
            "description": category.name,
        },
        "main_procurement_category": category.main,
        "procurement_method": plan.method,
        "procurement_method_details": plan.method_details,
    }


def _author(vendor: Vendor) -> str:
    """The name in the vendor's bid files: its own tender clerk."""
    return person_name(random.Random(vendor.org_id), male=True)
