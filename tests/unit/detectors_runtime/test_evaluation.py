"""Precision and recall per rule, matching on rule, school and subject; what differs from the
shipped rules the simulator plants its anomalies for."""

from __future__ import annotations

import pytest

from services.detectors.core.config import DISTRICTS_DIR, load_rule_set
from services.detectors.runtime.evaluation import (
    GroundTruthError,
    RuleScore,
    alert_key,
    changes_from_shipped,
    format_scores,
    score,
)


def key(
    rule: str, school: str = "500102001", subject: str = "V1", kind: str = "vendor"
) -> tuple[str, str, str, str]:
    return (rule, school, kind, subject)


@pytest.mark.parametrize(
    ("alerts", "truth", "expected"),
    [
        ([key("C6")], [key("C6")], [RuleScore("C6", 1, 0, 0)]),
        ([key("C6"), key("C6")], [key("C6")], [RuleScore("C6", 1, 0, 0)]),
        ([key("C6", subject="V2")], [key("C6")], [RuleScore("C6", 0, 1, 1)]),
        ([key("C6", school="500102002")], [key("C6")], [RuleScore("C6", 0, 1, 1)]),
        ([key("C6", kind="staff")], [key("C6")], [RuleScore("C6", 0, 1, 1)]),
        ([key("C6")], [key("P3")], [RuleScore("C6", 0, 1, 0), RuleScore("P3", 0, 0, 1)]),
        ([], [], []),
    ],
)
def test_score_matches_rule_school_and_subject(
    alerts: list, truth: list, expected: list[RuleScore]
) -> None:
    assert score(alerts, truth) == expected


def test_precision_and_recall_are_undefined_without_a_denominator() -> None:
    only_expected, only_alerted = RuleScore("A", 0, 0, 2), RuleScore("B", 0, 3, 0)
    assert (only_expected.precision, only_expected.recall) == (None, 0.0)
    assert (only_alerted.precision, only_alerted.recall) == (0.0, None)
    assert RuleScore("C", 3, 1, 2).precision == 0.75
    assert RuleScore("C", 3, 1, 1).recall == 0.75


def test_alert_key_reads_alerts_and_ground_truth_lines_alike() -> None:
    line = {
        "rule_id": "E1",
        "school_id": "500102001",
        "subject": {"kind": "student", "id": "pn:1"},
        "time": "x",
    }
    assert alert_key(line) == ("E1", "500102001", "student", "pn:1")
    with pytest.raises(GroundTruthError):
        alert_key({"rule_id": "E1", "school_id": "500102001"})


def test_format_scores_prints_a_dash_for_undefined_ratios() -> None:
    text = format_scores([RuleScore("C6", 1, 0, 0), RuleScore("P3", 0, 0, 1)])
    assert text.splitlines()[1].split() == ["C6", "1", "0", "0", "1.000", "1.000"]
    assert text.splitlines()[2].split() == ["P3", "0", "0", "1", "—", "0.000"]


def test_the_rules_configured_otherwise_than_shipped_are_named_with_their_shipped_values(
    tmp_path,
) -> None:
    shipped = load_rule_set()
    assert changes_from_shipped(shipped, shipped) == []

    chongqing = load_rule_set(None, DISTRICTS_DIR / "chongqing.yaml")
    assert changes_from_shipped(chongqing, shipped) == [
        "P3: open_tender_threshold_yuan 4000000 (2000000)",
        'P3_NEAR: thresholds_yuan ["50000", "100000", "1000000", "4000000"] (["50000", "100000", "1000000", "2000000"])',
    ]

    trial = tmp_path / "trial.yaml"
    trial.write_text(
        "district: trial\nname: trial\nrules:\n  F8:\n    enabled: false\n", encoding="utf-8"
    )
    assert changes_from_shipped(load_rule_set(None, trial), shipped) == [
        "F8: 已关闭 / switched off"
    ]
