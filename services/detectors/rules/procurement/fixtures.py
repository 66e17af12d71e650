"""Contract-valid procurement events for the procurement rules' tests."""

from __future__ import annotations

from typing import Any

from services.detectors.testing import ORG_A, SCHOOL, event, org

OCID = "ocds-qlcq01-500102001-2026-0001"


def contract(
    contract_id: str,
    value_fen: int,
    *,
    at: str,
    event_id: str | None = None,
    method: str = "询价",
    status: str = "active",
    budget_project: str = "BP-2026-01",
    category: str = "A02010104",
    fiscal_year: int = 2026,
    works: bool = False,
    supplier: str = ORG_A,
    award_id: str | None = None,
    published_at: str | None = None,
    school: str = SCHOOL,
) -> dict[str, Any]:
    return event(
        "procurement.contract",
        {
            "ocid": OCID,
            "contract_id": contract_id,
            "award_id": award_id,
            "title": "采购合同",
            "status": status,
            "supplier": org(supplier),
            "value_fen": value_fen,
            "signed_at": at,
            "published_at": published_at,
            "period": {"start_date": at[:10], "end_date": f"{fiscal_year}-12-31"},
            "fiscal_year": fiscal_year,
            "budget_project_id": budget_project,
            "item_category": {"scheme": "政府采购品目分类目录", "id": category},
            "main_procurement_category": "works" if works else "goods",
            "procurement_method": "open" if method == "公开招标" else "limited",
            "procurement_method_details": method,
        },
        at=at,
        event_id=event_id or f"contract-{contract_id}-{status}",
        school=school,
    )


def amendment(
    contract_id: str,
    change_fen: int,
    *,
    at: str,
    original_fen: int,
    status: str = "approved",
    amendment_id: str = "AM-1",
    event_id: str | None = None,
) -> dict[str, Any]:
    return event(
        "procurement.amendment",
        {
            "ocid": OCID,
            "amendment_id": amendment_id,
            "contract_id": contract_id,
            "amended_at": at,
            "status": status,
            "original_value_fen": original_fen,
            "value_change_fen": change_fen,
            "new_value_fen": original_fen + change_fen,
            "rationale": "追加数量",
        },
        at=at,
        event_id=event_id or f"amendment-{amendment_id}-{status}",
    )


def payment(
    contract_id: str, amount_fen: int, *, at: str, payment_id: str, payee: str = ORG_A
) -> dict[str, Any]:
    return event(
        "procurement.payment",
        {
            "ocid": OCID,
            "payment_id": payment_id,
            "contract_id": contract_id,
            "paid_at": at,
            "kind": "progress",
            "amount_fen": amount_fen,
            "payer": org("12500102MB0000001X"),
            "payee": org(payee),
            "payee_account_no": "6222000011112222",
            "acceptance_id": None,
        },
        at=at,
        event_id=f"payment-{payment_id}",
    )
