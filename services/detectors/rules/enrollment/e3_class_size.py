"""E3 · 班额超标 / Class size above the standard (大班额, 超大班额)

Each class on a ``enrollment.roster_snapshot`` is compared with the class-size
tiers: above the standard (45 in primary grades 1–6, 50 in grades 7–12) is
yellow, ``large_class`` (≥ 56, 大班额) orange and ``super_large_class`` (≥ 66,
超大班额) red. The alert's severity is the tier's, whatever the configured
severity says.

Kind: single event. Subject: the class; one alert per class, term and tier
(the term is the window, so daily snapshots do not repeat it).
Source: 国发〔2016〕40号 "到2018年基本消除66人以上超大班额，到2020年基本消除56人以上大班额" ✔;
45/50 standards ◐.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from services.detectors.core.eventtime import term_window
from services.detectors.core.findings import finding
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    SubjectKind,
)
from services.detectors.core.rule import RuleMeta, SingleEventRule

ROSTER = "cn.edu.qinglian.enrollment.roster_snapshot.v1"


@dataclass(frozen=True)
class Parameters:
    primary_standard: int = 45
    secondary_standard: int = 50
    large_class: int = 56
    super_large_class: int = 66


def tier(size: int, grade: int, params: Parameters) -> tuple[str, int, Comparison, Severity] | None:
    standard = params.primary_standard if grade <= 6 else params.secondary_standard
    if size >= params.super_large_class:
        return "super_large", params.super_large_class, Comparison.GE, Severity.RED
    if size >= params.large_class:
        return "large", params.large_class, Comparison.GE, Severity.ORANGE
    if size > standard:
        return "above_standard", standard, Comparison.GT, Severity.YELLOW
    return None


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    for entry in data["classes"]:
        found = tier(entry["student_count"], entry["grade"], params)
        if found is None:
            continue
        name, threshold, comparison, severity = found
        yield finding(
            event,
            subject=(SubjectKind.CLASS, entry["class_id"]),
            measured=entry["student_count"],
            threshold=threshold,
            comparison=comparison,
            window=term_window(data["term"]),
            record_id=name,
            severity=severity,
            details={
                "tier": name,
                "grade": entry["grade"],
                "class_name": entry["class_name"],
                "snapshot_date": data["snapshot_date"],
            },
        )


RULE = SingleEventRule(
    RuleMeta(
        id="E3",
        version="1.0.0",
        title_zh="班额超标（大班额、超大班额）",
        title_en="Class size above the standard (large and super-large classes)",
        citation="国发〔2016〕40号：基本消除66人以上超大班额、56人以上大班额",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.ORANGE,
        risk_area=RiskArea.ENROLLMENT,
        parameters=Parameters,
        event_types=frozenset({ROSTER}),
        doc=__doc__,
    ),
    evaluate,
)
