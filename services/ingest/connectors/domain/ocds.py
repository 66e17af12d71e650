"""OCDS compiled releases → Qinglian procurement events, so any OCDS publisher can feed Qinglian.

One compiled release (one line of a JSON-lines file) describes one contracting
process; it becomes up to eight kinds of events:

    planning                                  → procurement.plan
    tender                                    → procurement.tender
    bids.details[]          (bid extension)   → procurement.bid
    awards[]                                  → procurement.award
    contracts[]                               → procurement.contract
    contracts[].amendments[]                  → procurement.amendment
    contracts[].implementation.milestones[]   → procurement.acceptance  (code "acceptance")
    contracts[].implementation.transactions[] → procurement.payment

Amounts are OCDS major units (yuan) and become integer fen; dates become
+08:00 (the connector's zone). Organisation references are resolved through
``parties`` to their identifier (统一社会信用代码). The school is the buyer's
``additionalIdentifiers`` entry with scheme ``CN-EDU-SCHOOL`` (学校标识码), or the
connectors file's ``buyer_schools`` table.

Fields Qinglian needs that OCDS core lacks are read from extension fields, named
the OCDS way (``planning.budget.fiscalYear``, ``planning.budget.fundSource``,
``planning.isCentralized``, ``planning.id``, ``planning.date``,
``tender.classification``, ``tender.bidDeposit``, ``tender.datePublished``,
``tender.singleSourceApprovalId``, ``bid.deposit``, ``bid.disqualificationReason``,
``bid.documentAuthor``, ``bid.documentMachineCode``, ``award.datePublished``,
``contract.suppliers``, ``contract.datePublished``, ``amendment.status``,
``amendment.originalValue``, ``amendment.newValue``, ``milestone.result``,
``milestone.inspectors``, ``milestone.certificateNo``, ``transaction.kind``,
``transaction.payeeAccountNo``, ``transaction.acceptanceId``,
``transaction.voucherId``). Nothing is invented: when a publisher lacks one, the
event is rejected by its contract at that field and dead-lettered, so the gap is
visible. ``writers.ocds`` writes exactly these fields.

Event ids are UUIDv5 over (connector, ocid, kind, record id, content): re-reading
an unchanged release gives the same ids; a changed record gives a new event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from services.ingest.connectors.domain.convert import (
    SIMPLE,
    ConversionError,
    Converter,
    converter,
    json_safe,
)
from services.ingest.connectors.domain.mapping import build_event, event_id

PROCUREMENT = "cn.edu.qinglian.procurement."
KINDS = ("plan", "tender", "bid", "award", "contract", "amendment", "acceptance", "payment")
EVENT_TYPES = tuple(f"{PROCUREMENT}{kind}.v1" for kind in KINDS)
SCHOOL_ID_SCHEME = "CN-EDU-SCHOOL"
ORG_ID_SCHEME = "CN-USCC"
ACCEPTANCE_MILESTONE = "acceptance"
METHOD_ONLY_TENDER = frozenset(
    {
        "id",
        "classification",
        "mainProcurementCategory",
        "procurementMethod",
        "procurementMethodDetails",
        "items",
    }
)
IMPLEMENTATION_ONLY_CONTRACT = frozenset({"id", "implementation", "amendments"})

Json = Mapping[str, Any]


class ReleaseProblem(ValueError):
    """A line that is not a compiled release: not JSON, not an object, or without an ocid."""


@dataclass(frozen=True, slots=True)
class OcdsContext:
    connector_id: str
    event_source: str  # may contain {school_id}
    zone: ZoneInfo
    buyer_schools: Mapping[str, str] = field(default_factory=dict)
    district_id: str | None = None


def parse_line(line: str) -> dict[str, Any]:
    try:
        release = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ReleaseProblem("不是 JSON / not JSON") from exc
    if not isinstance(release, dict):
        raise ReleaseProblem("不是 JSON 对象 / not a JSON object")
    if not isinstance(release.get("ocid"), str) or not release["ocid"]:
        raise ReleaseProblem("缺少 ocid / the release has no ocid")
    return release


def release_events(release: Json, context: OcdsContext) -> list[dict[str, Any]]:
    """Every procurement event of one compiled release (not validated here)."""
    reader = _Reader(release, context)
    return [
        *reader.plan_events(),
        *reader.tender_events(),
        *reader.bid_events(),
        *reader.award_events(),
        *(
            event
            for contract in _list(release, "contracts")
            for event in reader.contract_events(contract)
        ),
    ]


class _Reader:
    def __init__(self, release: Json, context: OcdsContext) -> None:
        self.release = release
        self.context = context
        self.ocid = str(release["ocid"])
        self.tender = _object(release, "tender")
        self.planning = _object(release, "planning")
        self.budget = _object(self.planning, "budget")
        self.parties = {str(p.get("id")): p for p in _list(release, "parties")}
        self.award_by_id = {str(a.get("id")): a for a in _list(release, "awards")}
        self._time = converter("local_time", zone=context.zone)
        self._date = converter("date", zone=context.zone)
        self.school_id = self._school_id()

    # -- events -------------------------------------------------------------------------------------

    def plan_events(self) -> list[dict[str, Any]]:
        # A planning section that only carries the budget line of the tender is not a plan.
        if "id" not in self.planning and "amount" not in self.budget:
            return []
        data = {
            "ocid": self.ocid,
            "plan_id": self.planning.get("id", self.budget.get("id")),
            "planned_at": self.time(self.planning.get("date")),
            "fiscal_year": self.fiscal_year(),
            "budget_project_id": self.budget.get("projectID"),
            "budget_project_name": self.budget.get("project"),
            "fund_source": self.budget.get("fundSource"),
            **self.method(),
            "estimated_value_fen": self.fen(self.budget.get("amount")),
            "is_centralized": self.planning.get("isCentralized"),
            "items": self.items(self.tender),
        }
        return [
            self.event("plan", str(data["plan_id"]), _compact(data), data["planned_at"], self.ocid)
        ]

    def tender_events(self) -> list[dict[str, Any]]:
        # A tender section that only names the procurement method and items (a direct award) is not a tender.
        if set(self.tender) <= METHOD_ONLY_TENDER:
            return []
        period = _object(self.tender, "tenderPeriod")
        data = {
            "ocid": self.ocid,
            "tender_id": self.tender.get("id"),
            "title": self.tender.get("title"),
            "status": self.tender.get("status"),
            "buyer": self.org(self.release.get("buyer")),
            "procuring_entity": self.org(self.tender.get("procuringEntity")),
            "fiscal_year": self.fiscal_year(),
            "budget_project_id": self.budget.get("projectID"),
            **self.method(),
            "value_fen": self.fen(self.tender.get("value")),
            "bid_deposit_fen": self.fen(self.tender.get("bidDeposit")),
            "published_at": self.time(self.tender.get("datePublished", period.get("startDate"))),
            "tender_period": _compact(
                {
                    "start": self.time(period.get("startDate")),
                    "end": self.time(period.get("endDate")),
                }
            ),
            "number_of_tenderers": self.tender.get("numberOfTenderers"),
            "items": self.items(self.tender),
            "single_source_approval_id": self.tender.get("singleSourceApprovalId"),
        }
        compacted = _compact(data, nullable=("number_of_tenderers",))
        return [
            self.event("tender", str(data["tender_id"]), compacted, data["published_at"], self.ocid)
        ]

    def bid_events(self) -> list[dict[str, Any]]:
        events = []
        for bid in _list(_object(self.release, "bids"), "details"):
            deposit = _object(bid, "deposit")
            data = {
                "ocid": self.ocid,
                "bid_id": bid.get("id"),
                "tender_id": self.tender.get("id"),
                "status": bid.get("status"),
                "submitted_at": self.time(bid.get("date")),
                "tenderers": [self.org(tenderer) for tenderer in _list(bid, "tenderers")],
                "value": self.money(bid.get("value")),
                "deposit": _compact(
                    {
                        "amount_fen": self.fen(deposit.get("amount")),
                        "payer_name": deposit.get("payerName"),
                        "payer_account_no": deposit.get("payerAccountNo"),
                        "paid_at": self.time(deposit.get("paidAt")),
                    }
                )
                or None,
                "disqualification_reason": bid.get("disqualificationReason"),
                "document_author": bid.get("documentAuthor"),
                "document_machine_code": bid.get("documentMachineCode"),
            }
            when = data["submitted_at"] or self.time(self.release.get("date"))
            compacted = _compact(data, nullable=("submitted_at", "value"))
            events.append(self.event("bid", str(data["bid_id"]), compacted, when, data["bid_id"]))
        return events

    def award_events(self) -> list[dict[str, Any]]:
        events = []
        for award in self.award_by_id.values():
            data = {
                "ocid": self.ocid,
                "award_id": award.get("id"),
                "tender_id": self.tender.get("id"),
                "status": award.get("status"),
                "decided_at": self.time(award.get("date")),
                "notice_published_at": self.time(award.get("datePublished")),
                "suppliers": [self.org(supplier) for supplier in _list(award, "suppliers")],
                "value": self.money(award.get("value")),
                "items": self.items(award),
            }
            compacted = _compact(data, nullable=("notice_published_at", "value"))
            events.append(
                self.event(
                    "award", str(data["award_id"]), compacted, data["decided_at"], data["award_id"]
                )
            )
        return events

    def contract_events(self, contract: Json) -> list[dict[str, Any]]:
        contract_id = contract.get("id")
        award = self.award_by_id.get(str(contract.get("awardID")), {})
        suppliers = _list(contract, "suppliers") or _list(award, "suppliers")
        period = _object(contract, "period")
        data = {
            "ocid": self.ocid,
            "contract_id": contract_id,
            "award_id": contract.get("awardID"),
            "title": contract.get("title"),
            "status": contract.get("status"),
            "supplier": self.org(suppliers[0]) if suppliers else None,
            "value_fen": self.fen(contract.get("value")),
            "signed_at": self.time(contract.get("dateSigned")),
            "published_at": self.time(contract.get("datePublished")),
            "period": _compact(
                {
                    "start_date": self.date(period.get("startDate")),
                    "end_date": self.date(period.get("endDate")),
                }
            ),
            "fiscal_year": self.fiscal_year(),
            "budget_project_id": self.budget.get("projectID"),
            **self.method(),
        }
        compacted = _compact(data, nullable=("award_id", "published_at"))
        implementation = _object(contract, "implementation")
        # An entry that only carries payments, acceptances or amendments (published before the contract) is no contract.
        signed = not set(contract) <= IMPLEMENTATION_ONLY_CONTRACT
        return [
            *(
                [
                    self.event(
                        "contract", str(contract_id), compacted, data["signed_at"], contract_id
                    )
                ]
                if signed
                else []
            ),
            *(
                self.amendment(contract_id, amendment)
                for amendment in _list(contract, "amendments")
            ),
            *(
                self.acceptance(contract_id, milestone)
                for milestone in _list(implementation, "milestones")
                if milestone.get("code") == ACCEPTANCE_MILESTONE
            ),
            *(
                self.payment(contract_id, transaction)
                for transaction in _list(implementation, "transactions")
            ),
        ]

    def amendment(self, contract_id: object, amendment: Json) -> dict[str, Any]:
        original = self.fen(amendment.get("originalValue"))
        new = self.fen(amendment.get("newValue"))
        both_known = isinstance(original, int) and isinstance(new, int)
        data = {
            "ocid": self.ocid,
            "amendment_id": amendment.get("id"),
            "contract_id": contract_id,
            "amended_at": self.time(amendment.get("date")),
            "status": amendment.get("status"),
            "original_value_fen": original,
            "value_change_fen": new - original if both_known else None,  # type: ignore[operator]
            "new_value_fen": new,
            "rationale": amendment.get("rationale"),
        }
        amendment_id = data["amendment_id"]
        return self.event(
            "amendment", str(amendment_id), _compact(data), data["amended_at"], amendment_id
        )

    def acceptance(self, contract_id: object, milestone: Json) -> dict[str, Any]:
        data = {
            "ocid": self.ocid,
            "acceptance_id": milestone.get("id"),
            "contract_id": contract_id,
            "accepted_at": self.time(milestone.get("dateMet")),
            "result": milestone.get("result"),
            "inspectors": [
                _compact({"staff_id": person.get("staffId"), "name": person.get("name")})
                for person in _list(milestone, "inspectors")
            ],
            "accepted_value_fen": self.fen(milestone.get("value")),
            "certificate_no": milestone.get("certificateNo"),
        }
        acceptance_id = data["acceptance_id"]
        return self.event(
            "acceptance", str(acceptance_id), _compact(data), data["accepted_at"], acceptance_id
        )

    def payment(self, contract_id: object, transaction: Json) -> dict[str, Any]:
        data = {
            "ocid": self.ocid,
            "payment_id": transaction.get("id"),
            "contract_id": contract_id,
            "paid_at": self.time(transaction.get("date")),
            "kind": transaction.get("kind"),
            "amount_fen": self.fen(transaction.get("value")),
            "payer": self.org(transaction.get("payer")),
            "payee": self.org(transaction.get("payee")),
            "payee_account_no": transaction.get("payeeAccountNo"),
            "acceptance_id": transaction.get("acceptanceId"),
            "voucher_id": transaction.get("voucherId"),
        }
        payment_id = data["payment_id"]
        compacted = _compact(data, nullable=("acceptance_id",))
        return self.event("payment", str(payment_id), compacted, data["paid_at"], payment_id)

    # -- building blocks ----------------------------------------------------------------------------

    def event(
        self, kind: str, record_id: str, data: dict[str, Any], time: object, subject: object
    ) -> dict[str, Any]:
        content = hashlib.sha256(
            json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        return build_event(
            f"{PROCUREMENT}{kind}.v1",
            self.context.event_source,
            self.school_id,
            data,
            time=time,
            subject=subject,
            event_id=event_id(self.context.connector_id, self.ocid, kind, record_id, content),
            district_id=self.context.district_id,
        )

    def method(self) -> dict[str, Any]:
        classification = self.tender.get("classification") or next(
            (
                item.get("classification")
                for item in _list(self.tender, "items")
                if item.get("classification")
            ),
            None,
        )
        return {
            "item_category": _classification(classification),
            "main_procurement_category": self.tender.get("mainProcurementCategory"),
            "procurement_method": self.tender.get("procurementMethod"),
            "procurement_method_details": self.tender.get("procurementMethodDetails"),
        }

    def fiscal_year(self) -> object:
        if "fiscalYear" in self.budget:
            return self.budget["fiscalYear"]
        started = self.time(
            self.planning.get("date") or _object(self.tender, "tenderPeriod").get("startDate")
        )
        return int(started[:4]) if isinstance(started, str) and started[:4].isdigit() else None

    def items(self, holder: Json) -> list[dict[str, Any]]:
        return [
            _compact(
                {
                    "id": item.get("id"),
                    "description": item.get("description"),
                    "classification": _classification(item.get("classification")),
                    "quantity": _convert(SIMPLE["decimal"], item.get("quantity")),
                    "unit": _object(item, "unit").get("name"),
                }
            )
            for item in _list(holder, "items")
        ]

    def org(self, reference: object) -> dict[str, Any] | None:
        if not isinstance(reference, Mapping):
            return None
        party = self.parties.get(str(reference.get("id")), {})
        identifier = _object(party, "identifier")
        return _compact(
            {
                "id": identifier.get("id", reference.get("id")),
                "name": reference.get("name", party.get("name")),
            }
        )

    def money(self, value: object) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            return None
        return _compact({"amount_fen": self.fen(value), "currency": value.get("currency")})

    def fen(self, value: object) -> object:
        if not isinstance(value, Mapping):
            return None
        return _convert(SIMPLE["yuan_to_fen"], value.get("amount"))

    def time(self, value: object) -> Any:
        return _convert(self._time, value)

    def date(self, value: object) -> Any:
        return _convert(self._date, value)

    def _school_id(self) -> str | None:
        buyer = self.release.get("buyer")
        buyer_id = str(buyer.get("id")) if isinstance(buyer, Mapping) else None
        party = self.parties.get(str(buyer_id), {})
        for identifier in _list(party, "additionalIdentifiers"):
            if identifier.get("scheme") == SCHOOL_ID_SCHEME:
                return str(identifier.get("id"))
        organisation = _object(party, "identifier").get("id", buyer_id)
        return self.context.buyer_schools.get(str(organisation))


def _convert(converter_: Converter, value: object) -> Any:
    if value is None:
        return None
    try:
        return converter_.forward(value)
    except ConversionError:
        return json_safe(value)


def _classification(value: object) -> dict[str, Any] | None:
    if not isinstance(value, Mapping):
        return None
    return _compact(
        {
            "scheme": value.get("scheme"),
            "id": value.get("id"),
            "description": value.get("description"),
        }
    )


def _compact(data: dict[str, Any], nullable: Sequence[str] = ()) -> dict[str, Any]:
    """Leave out absent values, except the contract's required-but-nullable fields."""
    return {name: value for name, value in data.items() if value is not None or name in nullable}


def _object(holder: Json, name: str) -> Json:
    value = holder.get(name)
    return value if isinstance(value, Mapping) else {}


def _list(holder: Json, name: str) -> list[Json]:
    value = holder.get(name)
    return (
        [entry for entry in value if isinstance(entry, Mapping)] if isinstance(value, list) else []
    )
