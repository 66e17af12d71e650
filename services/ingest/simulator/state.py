"""What a school remembers from one day to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from services.ingest.simulator.procurement.plans import ProcessPlan


@dataclass(slots=True)
class PendingOrder:
    order_id: str
    event_id: str
    lines: list[tuple[str, Decimal, int]]  # item code, quantity, unit price in fen


@dataclass(slots=True)
class Pantry:
    stock: dict[str, Decimal] = field(default_factory=dict)
    pending: PendingOrder | None = None
    price_factor: float = 1.0  # the school's supplier's price level against the district reference


@dataclass(slots=True)
class TermBooks:
    """A term's canteen income and spending, as the detectors add them up (C1, C3)."""

    income_fen: int = 0  # subsidy claimed and meal fees paid
    spent_fen: int = 0  # everything paid from canteen funds
    claimed_fen: int = 0
    subsidy_food_fen: int = 0  # subsidy spent on food
    evidence: list[str] = field(default_factory=list)

    def note(self, audited: bool, event_id: str) -> None:
        if audited:
            self.evidence.append(event_id)


@dataclass(slots=True)
class CanteenBooks:
    school_days: list[Any] = field(default_factory=list)  # the scenario's school days so far
    # Food delivered this week, not yet paid (nutrition-plan schools settle weekly).
    week_delivered_fen: int = 0
    unbilled_fen: int = 0  # food paid from meal fees, not yet billed to families
    terms: dict[str, TermBooks] = field(default_factory=dict)
    hoarding: bool = False  # the subsidy is claimed but no longer spent (C1)
    audited: bool = False
    """The school's term books are checked at the end (an injected C1 or C3), so their events are kept as evidence."""

    def term(self, label: str) -> TermBooks:
        return self.terms.setdefault(label, TermBooks())


@dataclass(slots=True)
class SchoolState:
    pantry: Pantry = field(default_factory=Pantry)
    books: CanteenBooks = field(default_factory=CanteenBooks)
    present: int = 0
    """Students present today (set by attendance, read by the canteen)."""
    delivery: tuple[str, int] | None = None
    """Today's food delivery (order id, accepted amount in fen), for the canteen's payment to the supplier."""
    processes: list[ProcessPlan] = field(default_factory=list)
    """Procurement processes under way."""
    counters: dict[str, int] = field(default_factory=dict)
    split_ledgers: dict[str, list[tuple[Any, str, int]]] = field(default_factory=dict)
    """Non-open contracts per budget line, category and year: (signed at, event id, value), for P3's truth."""
    split_alerted: set[str] = field(default_factory=set)
    near_clusters: dict[str, list[str]] = field(
        default_factory=dict
    )  # supplier → contracts just under 10万 (P3_NEAR)
    approved_payments: dict[str, str] = field(default_factory=dict)
    """Large contract payments ("ocid/kind") and the meeting that approved them."""
    phantom_days: int = 0  # school days the E2 phantom has missed
    reported_terms: set[str] = field(
        default_factory=set
    )  # terms whose oversized class was reported (E3)
    benford_skewed: bool = False
    benford_evidence: list[tuple[Any, str]] = field(
        default_factory=list
    )  # (quarter end, voucher event id)

    def next_number(self, name: str) -> int:
        self.counters[name] = self.counters.get(name, 0) + 1
        return self.counters[name]
