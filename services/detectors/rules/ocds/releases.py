"""OCDS compiled releases assembled from Qinglian's procurement events.

The streaming versions of Cardinal's indicators run Cardinal's own logic on a
compiled release built from ``procurement.tender``, ``procurement.bid`` and
``procurement.award`` events of one process (same ``ocid``). Each part keeps
its newest version by event time, and bids and awards are listed in id order,
so the release does not depend on the order events arrived in. Amounts are 元
(fen / 100), as an OCDS publisher would write them.
"""

from __future__ import annotations

from typing import Any

from services.detectors.core.eventtime import event_time, parse_time
from services.detectors.core.model import Event

TENDER = "cn.edu.qinglian.procurement.tender.v1"
BID = "cn.edu.qinglian.procurement.bid.v1"
AWARD = "cn.edu.qinglian.procurement.award.v1"
PROCESS_EVENTS = frozenset({TENDER, BID, AWARD})

Process = dict[str, Any]
"""JSON state of one process: {"ocid", "school", "district", "parts": {part: {"v": [time, event id], "value": ...}}}."""


def _value(money: dict[str, Any] | None) -> dict[str, Any] | None:
    return (
        None
        if money is None
        else {"amount": money["amount_fen"] / 100, "currency": money["currency"]}
    )


def _organization(org: dict[str, Any]) -> dict[str, str]:
    return {"id": org["id"], "name": org["name"]}


def _items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"id": item["id"], "classification": dict(item["classification"])} for item in items]


def tender_part(data: dict[str, Any]) -> dict[str, Any]:
    tender = {
        "id": data["tender_id"],
        "status": data["status"],
        "procurementMethod": data["procurement_method"],
        "procurementMethodDetails": data["procurement_method_details"],
        "tenderPeriod": {
            "startDate": data["tender_period"]["start"],
            "endDate": data["tender_period"]["end"],
        },
        "procuringEntity": _organization(data["procuring_entity"]),
        "value": {"amount": data["value_fen"] / 100, "currency": "CNY"},
        "items": _items(data["items"]),
    }
    if data["number_of_tenderers"] is not None:
        tender["numberOfTenderers"] = data["number_of_tenderers"]
    return tender


def bid_part(data: dict[str, Any]) -> dict[str, Any]:
    bid: dict[str, Any] = {
        "id": data["bid_id"],
        "status": data["status"],
        "tenderers": [_organization(org) for org in data["tenderers"]],
    }
    if data["submitted_at"] is not None:
        bid["date"] = data["submitted_at"]
    if data["value"] is not None:
        bid["value"] = _value(data["value"])
    # Extension fields (not OCDS) for the bid-rigging signals of P10; Cardinal ignores them.
    if data.get("deposit"):
        bid["depositPayerAccount"] = data["deposit"]["payer_account_no"]
    for field, name in (
        ("document_author", "documentAuthor"),
        ("document_machine_code", "documentMachineCode"),
    ):
        if data.get(field):
            bid[name] = data[field]
    return bid


def award_part(data: dict[str, Any]) -> dict[str, Any]:
    award: dict[str, Any] = {
        "id": data["award_id"],
        "status": data["status"],
        "date": data["decided_at"],
        "suppliers": [_organization(org) for org in data["suppliers"]],
        "items": _items(data["items"]),
    }
    if data["value"] is not None:
        award["value"] = _value(data["value"])
    return award


def release_from_tender(event: Event) -> dict[str, Any]:
    data = event["data"]
    return {
        "ocid": data["ocid"],
        "buyer": _organization(data["buyer"]),
        "tender": tender_part(data),
    }


def merge(process: Process, event: Event) -> bool:
    """Fold one event into the process; False if an equal or newer version of its part is there."""
    data = event["data"]
    if event["type"] == TENDER:
        part, value = "tender", {"tender": tender_part(data), "buyer": _organization(data["buyer"])}
    elif event["type"] == BID:
        part, value = f"bid:{data['bid_id']}", bid_part(data)
    else:
        part, value = f"award:{data['award_id']}", award_part(data)
    version = [event["time"], event["id"]]
    current = process["parts"].get(part)
    if current is not None and (parse_time(current["v"][0]), current["v"][1]) >= (
        event_time(event),
        event["id"],
    ):
        return False
    process["parts"][part] = {"v": version, "value": value}
    return True


def new_process(event: Event) -> Process:
    return {
        "ocid": event["data"]["ocid"],
        "school": event["schoolid"],
        "district": event.get("districtid"),
        "parts": {},
    }


def compiled_release(process: Process) -> dict[str, Any]:
    parts = process["parts"]
    release: dict[str, Any] = {"ocid": process["ocid"]}
    if "tender" in parts:
        release.update(parts["tender"]["value"])
    bids = [parts[key]["value"] for key in sorted(parts) if key.startswith("bid:")]
    awards = [parts[key]["value"] for key in sorted(parts) if key.startswith("award:")]
    if bids:
        release["bids"] = {"details": bids}
    if awards:
        release["awards"] = awards
    return release


def event_ids(process: Process) -> list[str]:
    return sorted(part["v"][1] for part in process["parts"].values())


def decided_at(process: Process) -> str | None:
    """Event time of the latest award decision, once the process has a final (non-pending) award."""
    times = [
        part["v"][0]
        for key, part in process["parts"].items()
        if key.startswith("award:") and part["value"]["status"] != "pending"
    ]
    return max(times, key=parse_time) if times else None
