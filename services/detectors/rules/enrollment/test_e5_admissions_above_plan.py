from __future__ import annotations

import pytest

from services.detectors.rules.enrollment.e5_admissions_above_plan import RULE
from services.detectors.rules.enrollment.fixtures import admission, admission_plan
from services.detectors.testing import assert_order_independent, run


@pytest.mark.parametrize(
    ("admitted", "expected"),
    [(5, None), (6, "6"), (9, "6")],
    ids=["boundary: at quota", "one over", "several over"],
)
def test_admissions_above_quota(admitted, expected):
    alerts = run(RULE, [admission_plan("PLAN-1", 5)] + [admission(n) for n in range(admitted)])
    assert [a["measured_value"] for a in alerts] == ([expected] if expected else [])


def test_admissions_before_the_plan_arrives_wait_for_it_and_order_does_not_matter():
    events = [admission(n) for n in range(8)] + [admission_plan("PLAN-1", 5)]
    [alert] = assert_order_independent(RULE, events, lateness_minutes=60 * 24 * 90)
    assert alert["details"]["first_over_quota"] == "ADM-5"
    assert alert["subject"] == {"kind": "school", "id": "500102001"}


def test_readmission_of_the_same_applicant_counts_once():
    repeated = [admission(n) for n in range(5)] + [admission(4)]
    assert run(RULE, [admission_plan("PLAN-1", 5)] + repeated) == []


def test_plans_are_separate():
    assert (
        run(RULE, [admission_plan("PLAN-1", 5)] + [admission(n, "PLAN-2") for n in range(6)]) == []
    )
