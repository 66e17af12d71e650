"""Per-rule outcome counts, so a rule that mostly raises false positives can be retuned."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from services.alerting.domain.workflow import Resolution


@dataclass(frozen=True, slots=True)
class RuleOutcomes:
    rule_id: str
    counts: Mapping[Resolution, int]

    @property
    def false_positive_rate(self) -> float | None:
        """False positives among the cases judged either way; duplicates and indeterminate ones are left out."""
        judged = self.counts.get(Resolution.TRUE_POSITIVE, 0) + self.counts.get(
            Resolution.FALSE_POSITIVE, 0
        )
        return None if judged == 0 else self.counts.get(Resolution.FALSE_POSITIVE, 0) / judged


def rule_outcomes(rows: Iterable[tuple[str, Resolution, int]]) -> list[RuleOutcomes]:
    """Fold ``(rule_id, resolution, case count)`` rows into one summary per rule, sorted by rule id."""
    counts: dict[str, dict[Resolution, int]] = defaultdict(dict)
    for rule_id, resolution, count in rows:
        counts[rule_id][resolution] = counts[rule_id].get(resolution, 0) + count
    return [RuleOutcomes(rule_id, counts[rule_id]) for rule_id in sorted(counts)]
