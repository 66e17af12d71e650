"""The publisher's side of OCDS: procurement events → one compiled release per process, as JSON lines.

The inverse of ``domain.ocds``: reading a written release back gives the events it
was written from (same data). Pass every event of a contracting process written
so far, plan and tender included, as a real compiled release holds them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from services.ingest.connectors.domain.ocds import (
    ACCEPTANCE_MILESTONE,
    ORG_ID_SCHEME,
    PROCUREMENT,
    SCHOOL_ID_SCHEME,
)
from services.ingest.connectors.writers.files import write_atomically

CURRENCY = "CNY"


def compiled_release(events: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One compiled release from the procurement events of one process (one ocid)."""
    builder = _Builder(events)
    for event in events:
        getattr(builder, f"add_{_kind(event)}")(event["data"])
    return builder.release()


class OcdsWriter:
    """Writes release files into a folder an OCDS connector watches (atomically: never half a file)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(
        self, name: str, releases: Iterable[Mapping[str, Any]], *, raw_lines: Iterable[str] = ()
    ) -> Path:
        """``raw_lines`` are appended as they are, to play a publisher that writes broken lines."""
        lines = [json.dumps(release, ensure_ascii=False) for release in releases] + list(raw_lines)
        return write_atomically(self.folder / name, ("\n".join(lines) + "\n").encode())


def _kind(event: Mapping[str, Any]) -> str:
    event_type = str(event["type"])
    if not event_type.startswith(PROCUREMENT):
        raise ValueError(f"not a procurement event: {event_type}")
    return event_type.removeprefix(PROCUREMENT).split(".")[0]


def _yuan(fen: int) -> int | float:
    amount = Decimal(fen) / 100
    return int(amount) if amount == amount.to_integral_value() else float(amount)


def _value(fen: int, currency: str = CURRENCY) -> dict[str, Any]:
    return {"amount": _yuan(fen), "currency": currency}


def _money(money: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if money is None else _value(money["amount_fen"], money["currency"])


def _item(item: Mapping[str, Any]) -> dict[str, Any]:
    written: dict[str, Any] = {
        "id": item["id"],
        "description": item["description"],
        "classification": dict(item["classification"]),
    }
    if "quantity" in item:
        written["quantity"] = (
            float(item["quantity"]) if "." in item["quantity"] else int(item["quantity"])
        )
    if "unit" in item:
        written["unit"] = {"name": item["unit"]}
    return written


def _optional(target: dict[str, Any], **values: Any) -> None:
    target.update({name: value for name, value in values.items() if value is not None})


class _Builder:
    def __init__(self, events: Sequence[Mapping[str, Any]]) -> None:
        first = events[0]
        self.ocid = first["data"]["ocid"]
        self.school_id = first["schoolid"]
        self.date = max(str(event["time"]) for event in events)
        self.parties: dict[str, dict[str, Any]] = {}
        self.planning: dict[str, Any] = {}
        self.tender: dict[str, Any] = {}
        self.bids: list[dict[str, Any]] = []
        self.awards: list[dict[str, Any]] = []
        self.contracts: dict[str, dict[str, Any]] = {}
        self.buyer: dict[str, Any] | None = None

    def release(self) -> dict[str, Any]:
        release: dict[str, Any] = {
            "ocid": self.ocid,
            "id": f"{self.ocid}-compiled",
            "date": self.date,
            "tag": ["compiled"],
            "initiationType": "tender",
        }
        if self.buyer is None:
            self.school_as_buyer()
        release["buyer"] = self.buyer
        _optional(
            release,
            parties=list(self.parties.values()) or None,
            planning=self.planning or None,
            tender=self.tender or None,
            bids={"details": self.bids} if self.bids else None,
            awards=self.awards or None,
            contracts=list(self.contracts.values()) or None,
        )
        return release

    def ref(self, org: Mapping[str, Any], role: str) -> dict[str, Any]:
        party = self.parties.setdefault(
            org["id"],
            {
                "id": org["id"],
                "name": org["name"],
                "identifier": {"scheme": ORG_ID_SCHEME, "id": org["id"]},
                "roles": [],
            },
        )
        if role not in party["roles"]:
            party["roles"].append(role)
        return {"id": org["id"], "name": org["name"]}

    def school_as_buyer(self) -> None:
        """Without a tender (a direct award, a plan) the events name no buyer org: the school itself is the buyer."""
        buyer_id = f"{SCHOOL_ID_SCHEME}-{self.school_id}"
        self.buyer = {"id": buyer_id}
        self.parties[buyer_id] = {
            "id": buyer_id,
            "roles": ["buyer"],
            "additionalIdentifiers": [{"scheme": SCHOOL_ID_SCHEME, "id": self.school_id}],
        }

    def set_buyer(self, org: Mapping[str, Any]) -> None:
        self.buyer = self.ref(org, "buyer")
        self.parties[org["id"]]["additionalIdentifiers"] = [
            {"scheme": SCHOOL_ID_SCHEME, "id": self.school_id}
        ]

    def budget(self, data: Mapping[str, Any]) -> dict[str, Any]:
        budget = self.planning.setdefault("budget", {})
        budget.update(projectID=data["budget_project_id"], fiscalYear=data["fiscal_year"])
        return budget

    def method(self, data: Mapping[str, Any]) -> None:
        self.tender.update(
            classification=dict(data["item_category"]),
            mainProcurementCategory=data["main_procurement_category"],
            procurementMethod=data["procurement_method"],
            procurementMethodDetails=data["procurement_method_details"],
        )

    def contract(self, contract_id: str) -> dict[str, Any]:
        return self.contracts.setdefault(contract_id, {"id": contract_id})

    def implementation(self, contract_id: str, section: str) -> list[dict[str, Any]]:
        implementation = self.contract(contract_id).setdefault("implementation", {})
        return implementation.setdefault(section, [])

    # -- one method per event kind ------------------------------------------------------------------

    def add_plan(self, data: Mapping[str, Any]) -> None:
        self.planning.update(
            id=data["plan_id"], date=data["planned_at"], isCentralized=data["is_centralized"]
        )
        self.budget(data).update(
            id=data["budget_project_id"],
            project=data["budget_project_name"],
            fundSource=data["fund_source"],
            amount=_value(data["estimated_value_fen"]),
        )
        self.method(data)
        self.tender.setdefault("items", [_item(item) for item in data["items"]])

    def add_tender(self, data: Mapping[str, Any]) -> None:
        self.set_buyer(data["buyer"])
        self.budget(data)
        self.method(data)
        self.tender.update(
            id=data["tender_id"],
            title=data["title"],
            status=data["status"],
            procuringEntity=self.ref(data["procuring_entity"], "procuringEntity"),
            value=_value(data["value_fen"]),
            bidDeposit=_value(data["bid_deposit_fen"]),
            datePublished=data["published_at"],
            tenderPeriod={
                "startDate": data["tender_period"]["start"],
                "endDate": data["tender_period"]["end"],
            },
            numberOfTenderers=data["number_of_tenderers"],
            items=[_item(item) for item in data["items"]],
        )
        _optional(self.tender, singleSourceApprovalId=data.get("single_source_approval_id"))

    def add_bid(self, data: Mapping[str, Any]) -> None:
        self.tender.setdefault("id", data["tender_id"])
        bid: dict[str, Any] = {
            "id": data["bid_id"],
            "date": data["submitted_at"],
            "status": data["status"],
            "tenderers": [self.ref(org, "tenderer") for org in data["tenderers"]],
            "value": _money(data["value"]),
        }
        deposit = data.get("deposit")
        if deposit is not None:
            bid["deposit"] = {
                "amount": _value(deposit["amount_fen"]),
                "payerName": deposit["payer_name"],
                "payerAccountNo": deposit["payer_account_no"],
                "paidAt": deposit["paid_at"],
            }
        _optional(
            bid,
            disqualificationReason=data.get("disqualification_reason"),
            documentAuthor=data.get("document_author"),
            documentMachineCode=data.get("document_machine_code"),
        )
        self.bids.append(bid)

    def add_award(self, data: Mapping[str, Any]) -> None:
        self.tender.setdefault("id", data["tender_id"])
        self.awards.append(
            {
                "id": data["award_id"],
                "status": data["status"],
                "date": data["decided_at"],
                "datePublished": data["notice_published_at"],
                "suppliers": [self.ref(org, "supplier") for org in data["suppliers"]],
                "value": _money(data["value"]),
                "items": [_item(item) for item in data["items"]],
            }
        )

    def add_contract(self, data: Mapping[str, Any]) -> None:
        self.budget(data)
        self.method(data)
        self.contract(data["contract_id"]).update(
            awardID=data["award_id"],
            title=data["title"],
            status=data["status"],
            suppliers=[self.ref(data["supplier"], "supplier")],
            value=_value(data["value_fen"]),
            dateSigned=data["signed_at"],
            datePublished=data["published_at"],
            period={
                "startDate": data["period"]["start_date"],
                "endDate": data["period"]["end_date"],
            },
        )

    def add_amendment(self, data: Mapping[str, Any]) -> None:
        self.contract(data["contract_id"]).setdefault("amendments", []).append(
            {
                "id": data["amendment_id"],
                "date": data["amended_at"],
                "status": data["status"],
                "originalValue": _value(data["original_value_fen"]),
                "newValue": _value(data["new_value_fen"]),
                "rationale": data["rationale"],
            }
        )

    def add_acceptance(self, data: Mapping[str, Any]) -> None:
        milestone: dict[str, Any] = {
            "id": data["acceptance_id"],
            "code": ACCEPTANCE_MILESTONE,
            "type": "delivery",
            "status": "met",
            "dateMet": data["accepted_at"],
            "result": data["result"],
            "inspectors": [
                {
                    "staffId": person["staff_id"],
                    **({"name": person["name"]} if "name" in person else {}),
                }
                for person in data["inspectors"]
            ],
            "value": _value(data["accepted_value_fen"]),
        }
        _optional(milestone, certificateNo=data.get("certificate_no"))
        self.implementation(data["contract_id"], "milestones").append(milestone)

    def add_payment(self, data: Mapping[str, Any]) -> None:
        transaction: dict[str, Any] = {
            "id": data["payment_id"],
            "date": data["paid_at"],
            "kind": data["kind"],
            "value": _value(data["amount_fen"]),
            "payer": self.ref(data["payer"], "payer"),
            "payee": self.ref(data["payee"], "payee"),
            "payeeAccountNo": data["payee_account_no"],
            "acceptanceId": data["acceptance_id"],
        }
        _optional(transaction, voucherId=data.get("voucher_id"))
        self.implementation(data["contract_id"], "transactions").append(transaction)
