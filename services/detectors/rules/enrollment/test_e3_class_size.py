from __future__ import annotations

import pytest

from services.detectors.rules.enrollment.e3_class_size import RULE
from services.detectors.rules.enrollment.fixtures import roster
from services.detectors.testing import run


@pytest.mark.parametrize(
    ("grade", "size", "expected"),
    [
        (3, 45, None),
        (3, 46, ("above_standard", "yellow", "45")),
        (8, 50, None),
        (8, 51, ("above_standard", "yellow", "50")),
        (8, 55, ("above_standard", "yellow", "50")),
        (8, 56, ("large", "orange", "56")),
        (8, 65, ("large", "orange", "56")),
        (8, 66, ("super_large", "red", "66")),
    ],
)
def test_class_size_tiers(grade, size, expected):
    alerts = run(RULE, [roster("R1", ("C-1", grade, size))])
    assert [(a["details"]["tier"], a["severity"], a["threshold"]) for a in alerts] == (
        [expected] if expected else []
    )


def test_one_alert_per_class_term_and_tier_across_daily_snapshots():
    snapshots = [
        roster(f"R{d}", ("C-1", 8, 57), ("C-2", 8, 40), day=f"2026-09-{d:02d}")
        for d in range(10, 15)
    ]
    alerts = run(RULE, snapshots)
    assert len({a["alert_id"] for a in alerts}) == 1
    assert alerts[0]["subject"] == {"kind": "class", "id": "C-1"}
    assert alerts[0]["window"] == {
        "start": "2026-09-01T00:00:00+08:00",
        "end": "2027-02-01T00:00:00+08:00",
    }
