from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from contracts import types
from services.detectors.core.alerts import alert_id, build_alert, decimal_string
from services.detectors.core.config import build_rule_set
from services.detectors.core.eventtime import day_window, parse_time, period_window, term_window
from services.detectors.core.model import (
    Comparison,
    Finding,
    RiskArea,
    Severity,
    Subject,
    SubjectKind,
)
from services.detectors.rules.procurement.p3_split_purchases import RULE as P3
from services.detectors.testing import DETECTED_AT


def a_finding(**changes) -> Finding:
    base = Finding(
        school_id="500102001",
        district_id="500102",
        subject=Subject(SubjectKind.ITEM, "BP-1/A02"),
        measured_value=Decimal("2100000.00"),
        threshold=Decimal(2000000),
        comparison=Comparison.GT,
        evidence_event_ids=("e1", "e2"),
        event_time=parse_time("2026-05-10T10:00:00+08:00"),
        window=day_window(parse_time("2026-05-10T10:00:00+08:00").date()),
    )
    return replace(base, **changes)


class TestAlertId:
    def test_depends_only_on_rule_version_school_subject_window_and_record(self):
        first = alert_id("P3", "1.0.0", "500102001", a_finding())
        assert first == alert_id(
            "P3",
            "1.0.0",
            "500102001",
            a_finding(evidence_event_ids=("e9",), measured_value=Decimal(1)),
        )
        assert len(first) == 32

    @pytest.mark.parametrize(
        "change",
        [
            {"subject": Subject(SubjectKind.ITEM, "BP-2/A02")},
            {"window": None},
            {"record_id": "INS-1"},
        ],
    )
    def test_changes_with_what_identifies_the_occurrence(self, change):
        assert alert_id("P3", "1.0.0", "500102001", a_finding(**change)) != alert_id(
            "P3", "1.0.0", "500102001", a_finding()
        )

    def test_changes_with_the_rule_version(self):
        assert alert_id("P3", "1.0.1", "500102001", a_finding()) != alert_id(
            "P3", "1.0.0", "500102001", a_finding()
        )


def test_built_alert_carries_configuration_and_detection_time():
    rule_set = build_rule_set([P3], {"version": "v1"})
    alert = build_alert(
        rule_set.get("P3"),
        a_finding(),
        rules_config_hash=rule_set.config_hash,
        detected_at=DETECTED_AT,
    )
    assert (alert.measured_value, alert.threshold) == ("2100000", "2000000")
    assert alert.rules_config_hash == rule_set.config_hash
    assert alert.detected_at == "2030-01-01T00:00:00+08:00"
    assert alert.to_dict()["window"] == {
        "start": "2026-05-10T00:00:00+08:00",
        "end": "2026-05-11T00:00:00+08:00",
    }


def test_rules_speak_the_alert_contracts_enums():
    assert (Severity, RiskArea, SubjectKind) == (types.Severity, types.RiskArea, types.SubjectKind)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("1E+3", "1000"),
        ("0.1234567", "0.123457"),
        ("2.500", "2.5"),
        ("-0.0000001", "0"),
        ("0.16666666666666666", "0.166667"),
    ],
)
def test_decimal_strings_fit_the_contract(value, text):
    assert decimal_string(Decimal(value)) == text


class TestPeriods:
    def test_terms(self):
        autumn, spring = term_window("2026-2027-1"), term_window("2026-2027-2")
        assert (autumn.start.date().isoformat(), autumn.end.date().isoformat()) == (
            "2026-09-01",
            "2027-02-01",
        )
        assert (spring.start.date().isoformat(), spring.end.date().isoformat()) == (
            "2027-02-01",
            "2027-09-01",
        )

    @pytest.mark.parametrize(
        ("months", "start", "end"),
        [
            (1, "2026-11-01", "2026-12-01"),
            (3, "2026-10-01", "2027-01-01"),
            (12, "2026-01-01", "2027-01-01"),
        ],
    )
    def test_calendar_periods(self, months, start, end):
        window = period_window(parse_time("2026-11-15T23:30:00+08:00"), months)
        assert (window.start.date().isoformat(), window.end.date().isoformat()) == (start, end)

    def test_periods_follow_china_time(self):
        window = period_window(parse_time("2026-12-31T17:00:00Z"), 1)  # 01:00 on 1 January in China
        assert window.start.date().isoformat() == "2027-01-01"
