"""Comparing alert sets: what counts as the same alert, and what a difference shows."""

from __future__ import annotations

from services.detectors.audit_replay.comparison import (
    FieldDifference,
    compare_alerts,
    unique_alerts,
)
from tests.unit.audit_replay.alerts import alert


class TestCompareAlerts:
    def test_the_same_alerts_are_identical_whenever_and_under_whichever_hash_they_were_detected(
        self,
    ) -> None:
        live = [alert("a1"), alert("a2")]
        replayed = [
            alert("a2", detected_at="2026-11-22T23:00:00+08:00", rules_config_hash="other"),
            alert("a1", evidence_event_ids=["e2", "e1"]),
        ]
        diff = compare_alerts(live, replayed)
        assert [a["alert_id"] for a in diff.identical] == ["a1", "a2"]
        assert diff.differences == 0

    def test_an_alert_on_one_side_only_is_missing_or_extra(self) -> None:
        diff = compare_alerts([alert("a1"), alert("a2")], [alert("a2"), alert("a3")])
        assert [a["alert_id"] for a in diff.only_reference] == ["a1"]
        assert [a["alert_id"] for a in diff.only_candidate] == ["a3"]
        assert diff.differences == 2

    def test_a_changed_alert_lists_exactly_the_fields_that_differ(self) -> None:
        diff = compare_alerts(
            [alert("a1")],
            [
                alert(
                    "a1", measured_value="3700000", evidence_event_ids=["e1", "e3"], severity="red"
                )
            ],
        )
        (changed,) = diff.changed
        assert changed.matched_by == "alert_id"
        assert changed.differences == (
            FieldDifference("evidence_event_ids", ["e1", "e2"], ["e1", "e3"]),
            FieldDifference("measured_value", "3600000", "3700000"),
            FieldDifference("severity", "orange", "red"),
        )

    def test_alerts_of_another_rule_version_are_paired_on_their_subject(self) -> None:
        old = alert("old-id", subject={"kind": "contract", "id": "HT-1"})
        new = alert(
            "new-id",
            subject={"kind": "contract", "id": "HT-1"},
            rule_version="1.1.0",
            threshold="1500000",
        )
        diff = compare_alerts([old], [new])
        (changed,) = diff.changed
        assert changed.matched_by == "subject"
        assert [d.field for d in changed.differences] == ["rule_version", "threshold"]
        assert not diff.only_reference and not diff.only_candidate

    def test_two_records_on_one_subject_under_the_same_version_stay_apart(self) -> None:
        first = alert("record-1", subject={"kind": "school", "id": "500102101"})
        second = alert("record-2", subject={"kind": "school", "id": "500102101"})
        diff = compare_alerts([first], [second])
        assert not diff.changed
        assert diff.differences == 2

    def test_an_ambiguous_subject_is_not_paired(self) -> None:
        subject = {"kind": "school", "id": "500102101"}
        live = [alert("a", subject=subject), alert("b", subject=subject)]
        diff = compare_alerts(live, [alert("c", subject=subject, rule_version="2.0.0")])
        assert not diff.changed
        assert len(diff.only_reference) == 2 and len(diff.only_candidate) == 1

    def test_differences_are_listed_in_event_time_order(self) -> None:
        live = [
            alert("late", event_time="2026-09-09T00:00:00+08:00"),
            alert("early", event_time="2026-09-02T00:00:00+08:00"),
        ]
        assert [a["alert_id"] for a in compare_alerts(live, []).only_reference] == ["early", "late"]


def test_an_alert_published_twice_counts_once_and_is_reported_as_a_duplicate() -> None:
    unique = unique_alerts(
        [alert("a1"), alert("a2"), alert("a1", detected_at="2026-11-02T00:00:00+08:00")]
    )
    assert sorted(unique.alerts) == ["a1", "a2"]
    assert unique.duplicates == 1
    assert unique.alerts["a1"]["detected_at"] == "2026-11-02T00:00:00+08:00"
