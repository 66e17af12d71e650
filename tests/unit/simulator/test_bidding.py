"""The bids of one process: every price differs unless the process is rigged to share one."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from services.ingest.simulator.model import Vendor
from services.ingest.simulator.procurement.bidding import Bidding, Rigging


def vendors(kind: str, count: int, prefix: str) -> tuple[Vendor, ...]:
    return tuple(
        Vendor(f"{prefix}{n:04d}", f"{prefix} {n}", kind, f"ACC-{prefix}{n}") for n in range(count)
    )


def test_disqualified_bids_never_repeat_another_bids_price() -> None:
    """Equal prices are R028's and P10's signal: a fair process must not show one by chance, as
    two disqualified bids drawn from the same range once did (seed 7 of the default scenario)."""
    market = Bidding({kind: vendors(kind, 12, kind[0]) for kind in ("goods", "services", "works")})
    unqualified = vendors("goods", 4, "x")
    rng = random.Random(7)
    published = datetime(2025, 9, 1, 9)
    for number in range(3000):
        plans, _ = market.bids(
            rng,
            ocid=f"ocds-test-{number}",
            kind="goods",
            budget_fen=rng.randrange(5_000_000, 90_000_000),
            published_at=published,
            tender_end=published + timedelta(days=20),
            strict=True,
            rigging=Rigging(),
            always_disqualified=unqualified,
        )
        prices = [plan.amount_fen for plan in plans]
        assert len(set(prices)) == len(prices), f"process {number}: {sorted(prices)}"
