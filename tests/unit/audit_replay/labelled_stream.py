"""A small labelled stream for the replay tests: catalogue rules, contract-valid events, and the
alerts they must raise.

Six schools, ten days of September 2026 (China time):

- lunch every day with the principal, except the (school, day) pairs in ``NO_LEADER``:
  C7 alerts once per such meal;
- a bulk delivery every day, inspected by two people besides the purchaser, except the pairs in
  ``ONE_INSPECTOR``: C6 alerts once per such inspection;
- one 300,000 元 contract per school on day 1, amended +8 % on day 3; the schools in
  ``OVER_TEN_PERCENT`` amend it again (+4 %, 12 % in all) on day 5: P4 alerts at that second
  amendment. With ``maximum_ratio`` lowered to 0.05 every contract crosses at its first
  amendment: the other schools' contracts are added, these change (an earlier crossing).

Every record's Kafka timestamp is its event time, as for a stream published as it happens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from services.detectors.core.eventtime import parse_time
from services.detectors.rules.canteen.fixtures import meal_service
from services.detectors.rules.procurement.fixtures import OCID, contract
from services.detectors.testing import ORG_A, event, org, staff

SCHOOLS = tuple(f"500102{n:03d}" for n in range(101, 107))
DAYS = tuple(date(2026, 9, 1) + timedelta(days=n) for n in range(10))
NO_LEADER = {
    (SCHOOLS[0], DAYS[2]),
    (SCHOOLS[0], DAYS[7]),
    (SCHOOLS[3], DAYS[4]),
    (SCHOOLS[5], DAYS[9]),
}
ONE_INSPECTOR = {(SCHOOLS[1], DAYS[1]), (SCHOOLS[4], DAYS[6])}
OVER_TEN_PERCENT = {SCHOOLS[2], SCHOOLS[4]}
CONTRACT_FEN = 30_000_000
FIRST_AMENDMENT_FEN = 2_400_000
SECOND_AMENDMENT_FEN = 1_200_000

Label = tuple[str, str, str]
"""(rule id, school id, subject id)."""


def labelled_events() -> list[dict[str, Any]]:
    """Every event of the stream, in event-time order."""
    events = []
    for school in SCHOOLS:
        events.append(
            contract(
                contract_id(school), CONTRACT_FEN, at=f"{DAYS[0]}T10:00:00+08:00", school=school
            )
        )
        events.append(amendment(school, "AM-1", FIRST_AMENDMENT_FEN, day=DAYS[2]))
        if school in OVER_TEN_PERCENT:
            events.append(amendment(school, "AM-2", SECOND_AMENDMENT_FEN, day=DAYS[4]))
        for day in DAYS:
            events.append(
                inspection(school, day, independent=1 if (school, day) in ONE_INSPECTOR else 2)
            )
            leaders = () if (school, day) in NO_LEADER else (("S-P", "principal"),)
            events.append(
                meal_service(f"{school}-{day}", day=day.isoformat(), leaders=leaders, school=school)
            )
    return sorted(events, key=lambda item: (parse_time(item["time"]), item["id"]))


def labels() -> Counter[Label]:
    """The alerts the stream raises under the shipped rules."""
    expected: Counter[Label] = Counter()
    for school, _ in NO_LEADER:
        expected["C7", school, school] += 1
    for school, _ in ONE_INSPECTOR:
        expected["C6", school, ORG_A] += 1
    for school in OVER_TEN_PERCENT:
        expected["P4", school, contract_id(school)] += 1
    return expected


def added_at_five_percent() -> Counter[Label]:
    """The alerts a P4 ``maximum_ratio`` of 0.05 adds: every contract amended by only 8 %."""
    return Counter(
        ("P4", school, contract_id(school)) for school in SCHOOLS if school not in OVER_TEN_PERCENT
    )


def label_of(alert: Mapping[str, Any]) -> Label:
    return alert["rule_id"], alert["school_id"], alert["subject"]["id"]


def labels_of(alerts: Iterable[Mapping[str, Any]]) -> Counter[Label]:
    return Counter(label_of(alert) for alert in alerts)


def contract_id(school: str) -> str:
    return f"HT-{school}"


def amendment(school: str, amendment_id: str, change_fen: int, *, day: date) -> dict[str, Any]:
    at = f"{day}T15:00:00+08:00"
    return event(
        "procurement.amendment",
        {
            "ocid": OCID,
            "amendment_id": amendment_id,
            "contract_id": contract_id(school),
            "amended_at": at,
            "status": "approved",
            "original_value_fen": CONTRACT_FEN,
            "value_change_fen": change_fen,
            "new_value_fen": CONTRACT_FEN + change_fen,
            "rationale": "追加数量",
        },
        at=at,
        event_id=f"amendment-{school}-{amendment_id}",
        school=school,
    )


def inspection(school: str, day: date, *, independent: int) -> dict[str, Any]:
    at = f"{day}T07:20:00+08:00"
    return event(
        "canteen.inbound_inspection",
        {
            "inspection_id": f"IN-{school}-{day}",
            "order_id": f"PO-{school}-{day}",
            "supplier": org(ORG_A),
            "delivered_at": f"{day}T07:00:00+08:00",
            "inspected_at": at,
            "is_bulk": True,
            "purchaser": staff("S-BUYER"),
            "inspectors": [
                {"staff_id": f"S-{n}", "role": "storekeeper"} for n in range(independent)
            ],
            "warehouse_id": "WH-1",
            "lines": [
                {
                    "item_code": "RICE-01",
                    "item_name": "大米",
                    "category": "grain",
                    "unit": "kg",
                    "quantity_delivered": "100",
                    "quantity_accepted": "100",
                    "unit_price_fen": 420,
                    "amount_fen": 42000,
                }
            ],
            "result": "accepted",
            "total_amount_fen": 42000,
        },
        at=at,
        event_id=f"inspection-{school}-{day}",
        school=school,
    )
