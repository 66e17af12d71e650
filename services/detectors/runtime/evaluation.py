"""Detection quality: alerts against the simulator's ground truth, per rule.

An alert matches an expected anomaly when rule id, school id and subject (kind
and id) are equal; several alerts on one subject (different windows or records)
count once, as does a subject listed twice in the ground truth. Precision is the
share of distinct alerted subjects that were expected, recall the share of
expected ones that were alerted; either is None when its denominator is zero.

The simulator plants its anomalies against the shipped rules file: a rule evaluated with
other parameters (a district's, a trial file's) or switched off is scored against truth
made for the shipped ones, so its score measures the change, and the report says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from services.detectors.core.config import RuleSet
from services.detectors.core.parameters import parameters_as_json
from services.detectors.errors import DetectorError

AlertKey = tuple[str, str | None, str, str]
"""(rule id, school id, subject kind, subject id)."""


class GroundTruthError(DetectorError):
    pass


@dataclass(frozen=True, slots=True)
class RuleScore:
    rule_id: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float | None:
        alerted = self.true_positives + self.false_positives
        return self.true_positives / alerted if alerted else None

    @property
    def recall(self) -> float | None:
        expected = self.true_positives + self.false_negatives
        return self.true_positives / expected if expected else None


def alert_key(document: Mapping[str, Any]) -> AlertKey:
    """The matching key of an alert (contract object) or a ground-truth line; raises GroundTruthError."""
    try:
        subject = document["subject"]
        return (
            str(document["rule_id"]),
            document.get("school_id"),
            str(subject["kind"]),
            str(subject["id"]),
        )
    except (KeyError, TypeError) as exc:
        raise GroundTruthError(
            f"缺少字段 / needs rule_id, school_id and subject{{kind, id}}: {dict(document)!r:.200}"
        ) from exc


def score(alerts: Iterable[AlertKey], truth: Iterable[AlertKey]) -> list[RuleScore]:
    """One score per rule that was alerted or expected, ordered by rule id."""
    alerted, expected = set(alerts), set(truth)
    rules = sorted({key[0] for key in alerted | expected})
    return [
        RuleScore(
            rule_id,
            true_positives=len({k for k in alerted & expected if k[0] == rule_id}),
            false_positives=len({k for k in alerted - expected if k[0] == rule_id}),
            false_negatives=len({k for k in expected - alerted if k[0] == rule_id}),
        )
        for rule_id in rules
    ]


def format_scores(scores: Iterable[RuleScore]) -> str:
    lines = [f"{'rule':<12}{'TP':>6}{'FP':>6}{'FN':>6}{'precision':>11}{'recall':>9}"]
    for item in scores:
        lines.append(
            f"{item.rule_id:<12}{item.true_positives:>6}{item.false_positives:>6}{item.false_negatives:>6}"
            f"{_ratio(item.precision):>11}{_ratio(item.recall):>9}"
        )
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def changes_from_shipped(used: RuleSet, shipped: RuleSet) -> list[str]:
    """One line per rule whose switch or parameters differ from the shipped configuration."""
    lines = []
    for config in used.rules:
        original = shipped.get(config.rule_id)
        if not config.enabled and original.enabled:
            lines.append(f"{config.rule_id}: 已关闭 / switched off")
            continue
        now, before = parameters_as_json(config.params), parameters_as_json(original.params)
        changed = [
            f"{name} {_shown(now[name])} ({_shown(before[name])})"
            for name in now
            if now[name] != before[name]
        ]
        if changed:
            lines.append(f"{config.rule_id}: {'; '.join(changed)}")
    return lines


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
