from __future__ import annotations

import pytest

from services.detectors.rules.ocds.fixtures import ocid, tender
from services.detectors.rules.ocds.r003_short_submission_period import RULE as R003
from services.detectors.rules.ocds.r018_single_bid import RULE as R018
from services.detectors.testing import run


@pytest.mark.parametrize(
    ("end", "details", "expected"),
    [
        ("2026-03-11T09:00:00+08:00", "公开招标", "10"),
        ("2026-03-16T09:00:00+08:00", "公开招标", None),
        ("2026-03-16T08:59:00+08:00", "公开招标", "14"),
        ("2026-03-05T09:00:00+08:00", "询价", None),
    ],
    ids=["10 days", "boundary: 15 days", "truncated to 14", "询价 threshold from the table"],
)
def test_r003_short_submission_period(end, details, expected):
    alerts = run(
        R003, [tender(1, end=end, details=details)], procurement_method_details={"询价": 3}
    )
    assert [a["measured_value"] for a in alerts] == ([expected] if expected else [])


def test_r003_alert_names_the_tender_and_one_alert_per_tender():
    updates = [
        tender(1, end="2026-03-11T09:00:00+08:00"),
        tender(1, end="2026-03-11T09:00:00+08:00", tenderers=3),
    ]
    [alert] = {a["alert_id"]: a for a in run(R003, updates)}.values()
    assert alert["subject"] == {"kind": "tender", "id": ocid(1)}
    assert (alert["threshold"], alert["comparison"]) == ("15", "<")


def test_r003_cancelled_tenders_are_excluded():
    assert run(R003, [tender(1, end="2026-03-11T09:00:00+08:00", status="cancelled")]) == []


@pytest.mark.parametrize(
    ("method", "tenderers", "fires"),
    [
        ("open", 1, True),
        ("selective", 1, True),
        ("limited", 1, False),
        ("open", 2, False),
        ("open", None, False),
    ],
)
def test_r018_single_bid(method, tenderers, fires):
    assert bool(run(R018, [tender(1, method=method, tenderers=tenderers)])) is fires
