"""Contract-valid tender, bid and award events for the OCDS rules' tests."""

from __future__ import annotations

from typing import Any

from services.detectors.testing import ORG_A, SCHOOL, event, org

BUYER = "12500102MB0000001X"
AGENCY = "91500102MA5U0000AG"
ITEM = {
    "id": "1",
    "description": "课桌椅",
    "classification": {"scheme": "政府采购品目分类目录", "id": "A06010101"},
}


def ocid(number: int) -> str:
    return f"ocds-qlcq01-{SCHOOL}-2026-{number:04d}"


def tender(
    number: int,
    *,
    start: str = "2026-03-01T09:00:00+08:00",
    end: str = "2026-03-21T09:00:00+08:00",
    method: str = "open",
    details: str = "公开招标",
    tenderers: int | None = None,
    status: str = "active",
    at: str | None = None,
    school: str = SCHOOL,
) -> dict[str, Any]:
    return event(
        "procurement.tender",
        {
            "ocid": ocid(number),
            "tender_id": f"T-{number}",
            "title": "课桌椅采购",
            "status": status,
            "buyer": org(BUYER),
            "procuring_entity": org(AGENCY),
            "fiscal_year": 2026,
            "budget_project_id": "BP-1",
            "item_category": ITEM["classification"],
            "main_procurement_category": "goods",
            "procurement_method": method,
            "procurement_method_details": details,
            "value_fen": 100_000_00,
            "bid_deposit_fen": 0,
            "published_at": start,
            "tender_period": {"start": start, "end": end},
            "number_of_tenderers": tenderers,
            "items": [ITEM],
        },
        at=at or start,
        event_id=f"tender-{number}-{status}-{tenderers}",
        school=school,
    )


def bid(
    number: int,
    tenderer: str,
    amount_yuan: int | None,
    *,
    status: str = "valid",
    at: str = "2026-03-20T09:00:00+08:00",
    bid_id: str | None = None,
    school: str = SCHOOL,
    deposit_account: str | None = None,
    author: str | None = None,
    machine: str | None = None,
) -> dict[str, Any]:
    bid_id = bid_id or f"B-{number}-{tenderer[-4:]}"
    data: dict[str, Any] = {
        "ocid": ocid(number),
        "bid_id": bid_id,
        "tender_id": f"T-{number}",
        "status": status,
        "submitted_at": at,
        "tenderers": [org(tenderer)],
        "value": None
        if amount_yuan is None
        else {"amount_fen": amount_yuan * 100, "currency": "CNY"},
    }
    if deposit_account:
        data["deposit"] = {
            "amount_fen": 100000,
            "payer_name": "pn:" + "9" * 32,
            "payer_account_no": deposit_account,
            "paid_at": at,
        }
    if author:
        data["document_author"] = author
    if machine:
        data["document_machine_code"] = machine
    return event(
        "procurement.bid",
        data,
        at=at,
        event_id=f"bid-{bid_id}-{status}",
        school=school,
    )


def award(
    number: int,
    supplier: str = ORG_A,
    *,
    status: str = "active",
    at: str = "2026-03-25T09:00:00+08:00",
    items: tuple[dict[str, Any], ...] = (ITEM,),
    school: str = SCHOOL,
    notice: str | None = "",
    event_id: str | None = None,
) -> dict[str, Any]:
    return event(
        "procurement.award",
        {
            "ocid": ocid(number),
            "award_id": f"A-{number}",
            "tender_id": f"T-{number}",
            "status": status,
            "decided_at": at,
            "notice_published_at": at if notice == "" else notice,
            "suppliers": [org(supplier)],
            "value": None,
            "items": list(items),
        },
        at=at,
        event_id=event_id or f"award-{number}-{status}",
        school=school,
    )
