"""A procurement process decided in advance: every date, bid and payment, emitted when its day comes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.ingest.simulator.model import Vendor
from services.ingest.simulator.reference import ProcurementCategory


@dataclass(frozen=True, slots=True)
class BidPlan:
    bid_id: str
    vendor: Vendor
    amount_fen: int
    submitted_at: datetime
    disqualified: bool = False
    deposit_account: str = ""  # the account the bid deposit came from
    bid_file_of: Vendor | None = None
    """Whose computer prepared the bid file (its author and machine code); the bidder's own unless rigged."""


@dataclass(slots=True)
class ProcessPlan:
    """One contracting process (one ocid). Competitive ones have a tender and bids; e-mall purchases do not."""

    ocid: str
    school_index: int
    category: ProcurementCategory
    method: str  # OCDS procurementMethod
    method_details: str  # 公开招标, 询价, 电子卖场...
    budget_fen: int
    budget_project_id: str
    agency: Vendor | None  # procuring entity; None when the school buys itself
    bids: list[BidPlan] = field(default_factory=list)
    winner: Vendor | None = None
    value_fen: int = 0
    planned_at: datetime | None = None
    published_at: datetime | None = None
    tender_end: datetime | None = None
    opened_at: datetime | None = None
    decided_at: datetime | None = None
    notice_at: datetime | None = None
    signed_at: datetime | None = None
    contract_published_at: datetime | None = None
    amendment: tuple[datetime, int] | None = None  # when, value change in fen
    payments: list[tuple[datetime, str, int]] = field(
        default_factory=list
    )  # when, kind, amount in fen
    accepted_at: datetime | None = None
    anomalies: frozenset[str] = frozenset()
    """Rule ids this process is built to break; the activity records them as ground truth."""
    variant: int = 0
    """How it breaks them, when a rule can be broken in several ways (see injections.Injection)."""

    @property
    def competitive(self) -> bool:
        return bool(self.bids)

    @property
    def fiscal_year(self) -> int:
        assert self.decided_at is not None
        return self.decided_at.year
