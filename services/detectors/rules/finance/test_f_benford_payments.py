from __future__ import annotations

import math
import random

from services.detectors.rules.finance.f_benford_payments import RULE
from services.detectors.rules.finance.fixtures import voucher
from services.detectors.testing import assert_order_independent, run


def vouchers(amounts_yuan: list[int], month: int = 7) -> list[dict]:
    return [
        voucher(
            f"V-{i}",
            amount,
            at=f"2026-{month:02d}-{1 + i % 28:02d}T{9 + i % 8:02d}:{i % 60:02d}:00+08:00",
        )
        for i, amount in enumerate(amounts_yuan)
    ]


def benford_amounts(n: int, seed: int = 7) -> list[int]:
    rng = random.Random(seed)
    return [int(10 ** rng.uniform(2, 6)) for _ in range(n)]


def test_benford_conforming_payments_are_not_flagged():
    assert run(RULE, vouchers(benford_amounts(400))) == []


def test_payments_just_under_a_threshold_are_flagged():
    amounts = benford_amounts(250) + [
        49_000 + i for i in range(150)
    ]  # many amounts starting with 4
    [alert] = assert_order_independent(
        RULE, vouchers(amounts), lateness_minutes=60 * 24 * 40, seeds=range(2)
    )
    assert alert["window"] == {
        "start": "2026-07-01T00:00:00+08:00",
        "end": "2026-10-01T00:00:00+08:00",
    }
    assert float(alert["measured_value"]) > 0.015 and alert["threshold"] == "0.015"
    assert alert["details"]["records"] == 400
    assert math.isclose(sum(alert["details"]["expected"].values()), 1, abs_tol=1e-3)


def test_boundary_fewer_than_300_records_are_not_tested():
    assert run(RULE, vouchers([40_000 + i for i in range(299)])) == []
    assert len(run(RULE, vouchers([40_000 + i for i in range(300)]))) == 1


def test_small_amounts_are_left_out():
    assert run(RULE, vouchers([9] * 300 + [40_000 + i for i in range(299)])) == []
