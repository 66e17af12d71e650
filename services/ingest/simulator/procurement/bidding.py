"""Who bids, who is disqualified, who wins and at what price: kept in balance across the district.

Cardinal's population indicators compare every process, buyer, agency and
bidder with its peers, so the normal market is shaped on purpose:

* winners: among the valid bidders, the one with the lowest win ratio so far,
  so every vendor wins about as often as its peers (R025's ratios stay close);
* disqualifications: "strict" agencies reject one bid per process, from a
  "sloppy" vendor with enough bids behind it, "lenient" agencies none; buyers, agencies and vendors thus
  fall into two groups (0 and about 0.18), and the upper fence Q3 + 1.5·IQR
  sits far above both (R038);
* the winner is the lowest valid bid, and the runner-up is 7 % or 9 % above it
  (± 0.4 %), alternating across the district, so the second-lowest-bid ratio has
  a stable interquartile range and neither fence is crossed (R024, R058).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.ingest.simulator.model import Vendor
from services.ingest.simulator.procurement.plans import BidPlan

RUNNER_UP_GAPS = (0.07, 0.09)
GAP_JITTER = 0.004
PRICE_STEP_FEN = 1000  # bids are rounded to 10 元
MOST_DISQUALIFIED = 1 / 3
"""A sloppy vendor is rejected only while that leaves at most this share of its bids
disqualified: one with few bids, rejected once, stood above R038's tenderer fence
(1 of 2 against 0.42 at 120 schools × 45 days)."""


@dataclass(slots=True)
class VendorRecord:
    bids: int = 0
    valid: int = 0
    wins: int = 0
    disqualified: int = 0

    def win_ratio_with_one_more(self) -> float:
        return self.wins / (self.valid + 1)


@dataclass(frozen=True, slots=True)
class Rigging:
    """How one process departs from a fair market (all off by default)."""

    bidders: int = 5
    # Besides the always-disqualified vendors, as long as ``keep_valid`` stay valid.
    disqualified: int = 0
    keep_valid: int = 3  # responsive bidders left (P6 needs three; R035 leaves only the winner)
    lowest_disqualified: bool = False  # R036
    # Runner-up above the winner, overriding the alternating gap (R024, R058).
    gap: float | None = None
    identical_prices: bool = False  # R028
    late_winner: bool = False  # R030
    shared_deposit_account: bool = False  # P10
    shared_bid_file: bool = False  # P10


class Bidding:
    def __init__(self, vendors: dict[str, tuple[Vendor, ...]]) -> None:
        self.records: dict[str, VendorRecord] = defaultdict(VendorRecord)
        self._sloppy = {
            vendor.org_id
            for kind in ("goods", "services", "works")
            for vendor in vendors[kind][1::2]
        }
        self._pools = {kind: vendors[kind] for kind in ("goods", "services", "works")}
        self._turn = 0

    def bids(
        self,
        rng: random.Random,
        *,
        ocid: str,
        kind: str,
        budget_fen: int,
        published_at: datetime,
        tender_end: datetime,
        strict: bool,
        rigging: Rigging,
        always_lose: tuple[Vendor, ...] = (),
        always_disqualified: tuple[Vendor, ...] = (),
    ) -> tuple[list[BidPlan], Vendor]:
        """The bids in id order and the winner. ``always_lose`` vendors bid validly and never win (cover bidders);
        ``always_disqualified`` vendors are rejected every time; both come on top of ``rigging.bidders``."""
        pool = sorted(
            self._pools[kind], key=lambda vendor: (self.records[vendor.org_id].bids, rng.random())
        )
        bidders = pool[: rigging.bidders]
        rejected = set(always_disqualified)
        if strict and rigging.disqualified == 0 and len(bidders) >= 4:
            rejectable = [vendor for vendor in pool if self._rejectable(vendor)]
            sloppy = [vendor for vendor in bidders if vendor in rejectable] or [
                vendor for vendor in rejectable if vendor not in bidders
            ][:1]
            if sloppy and sloppy[0] not in bidders:
                bidders[-1] = sloppy[0]
            if sloppy:
                rejected.add(min(sloppy, key=self._disqualified_if_rejected))
        contenders = [vendor for vendor in bidders if vendor not in rejected]
        winner = min(
            contenders,
            key=lambda vendor: (
                self.records[vendor.org_id].win_ratio_with_one_more(),
                rng.random(),
            ),
        )
        others = [vendor for vendor in contenders if vendor is not winner]
        rng.shuffle(others)
        rejecting = min(rigging.disqualified, len(contenders) - rigging.keep_valid)
        rejected |= set(others[len(others) - rejecting :]) if rejecting > 0 else set()
        valid_losers = [vendor for vendor in others if vendor not in rejected] + list(always_lose)
        prices = self._prices(rng, budget_fen, len(valid_losers), rigging)
        lowest_rejected = rigging.lowest_disqualified and rejected
        amounts: dict[str, int] = {winner.org_id: prices[0]}
        for vendor, price in zip(valid_losers, prices[1:], strict=True):
            amounts[vendor.org_id] = price
        ordered_rejected = sorted(rejected, key=lambda vendor: vendor.org_id)
        for number, vendor in enumerate(ordered_rejected):
            if lowest_rejected and number == 0:
                amount = _round(prices[0] * rng.uniform(0.90, 0.97))
            else:
                amount = _round(max(prices) * rng.uniform(1.01, 1.08)) + number * PRICE_STEP_FEN
            while amount in amounts.values():  # two equal prices are R028's and P10's signal
                amount += PRICE_STEP_FEN
            amounts[vendor.org_id] = amount
        everyone = [winner, *valid_losers, *ordered_rejected]
        plans = []
        colluders = (
            everyone[:2] if rigging.shared_deposit_account or rigging.shared_bid_file else []
        )
        for number, vendor in enumerate(
            sorted(everyone, key=lambda vendor: vendor.org_id), start=1
        ):
            late = rigging.late_winner and vendor is winner
            submitted = (
                tender_end + timedelta(minutes=rng.randint(20, 90))
                if late
                else tender_end
                - timedelta(
                    minutes=rng.randint(
                        60, int((tender_end - published_at).total_seconds() // 60) - 60 * 24
                    )
                )
            )
            colluding = vendor in colluders
            account = (
                colluders[1].account_no
                if colluding and rigging.shared_deposit_account
                else vendor.account_no
            )
            bid_file_of = colluders[0] if colluding and rigging.shared_bid_file else vendor
            plans.append(
                BidPlan(
                    f"{ocid}-bid-{number}",
                    vendor,
                    amounts[vendor.org_id],
                    submitted,
                    vendor in rejected,
                    account,
                    bid_file_of,
                )
            )
            self._record(vendor, vendor in rejected, vendor is winner)
        return plans, winner

    def _prices(
        self, rng: random.Random, budget_fen: int, losers: int, rigging: Rigging
    ) -> list[int]:
        """Winner first, then the valid losers in ascending order."""
        winner = _round(budget_fen * rng.uniform(0.82, 0.94))
        if rigging.gap is not None:
            gap = rigging.gap
        else:
            gap = RUNNER_UP_GAPS[self._turn % 2] + rng.uniform(-GAP_JITTER, GAP_JITTER)
            self._turn += 1
        prices = [winner]
        if losers:
            prices.append(_round(winner * (1 + gap)))
        while len(prices) < losers + 1:
            prices.append(_round(prices[-1] * rng.uniform(1.02, 1.08)) + PRICE_STEP_FEN)
        if rigging.identical_prices and losers >= 3:
            prices[-1] = prices[-2]
        return prices

    def _rejectable(self, vendor: Vendor) -> bool:
        return (
            vendor.org_id in self._sloppy
            and self._disqualified_if_rejected(vendor) <= MOST_DISQUALIFIED
        )

    def _disqualified_if_rejected(self, vendor: Vendor) -> float:
        record = self.records[vendor.org_id]
        return (record.disqualified + 1) / (record.bids + 1)

    def _record(self, vendor: Vendor, disqualified: bool, won: bool) -> None:
        record = self.records[vendor.org_id]
        record.bids += 1
        record.valid += not disqualified
        record.disqualified += disqualified
        record.wins += won


def _round(amount: float) -> int:
    return max(PRICE_STEP_FEN, round(amount / PRICE_STEP_FEN) * PRICE_STEP_FEN)
