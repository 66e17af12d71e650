"""Ground truth for Cardinal's population indicators, which judge a whole window of processes at once.

A flagged buyer, tenderer or supplier is known only when the window closes, so
these records are collected while the market plans and released after the
last event. Windows are calendar quarters, like the detectors' default.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from services.ingest.simulator.emissions import GroundTruth

WINDOW_MONTHS = 3
MINIMUM_AWARDS = {"R048": 20}  # Cardinal's minimum_contracting_processes for a supplier
MINIMUM_BIDS = {"R038": 2, "R025": 1}


@dataclass(slots=True)
class Involvement:
    moments: list[datetime] = field(default_factory=list)
    evidence: set[str] = field(default_factory=set)


class PopulationTruth:
    def __init__(self, horizon: datetime) -> None:
        self._horizon = horizon
        self._seen: dict[tuple[str, str, str, str | None, tuple[int, int]], Involvement] = (
            defaultdict(Involvement)
        )

    def involve(
        self,
        rule: str,
        subject: tuple[str, str],
        school_id: str | None,
        at: datetime,
        evidence: tuple[str, ...],
    ) -> None:
        """``subject`` took part at ``at`` (the award's event time) in a process citing ``evidence``."""
        if at >= self._horizon:
            return
        quarter = (at.year, (at.month - 1) // WINDOW_MONTHS)
        involvement = self._seen[(rule, *subject, school_id, quarter)]
        involvement.moments.append(at)
        involvement.evidence.update(evidence)

    def records(self) -> list[GroundTruth]:
        found = []
        for (rule, kind, subject_id, school_id, _), involvement in self._seen.items():
            if len(involvement.moments) < max(
                MINIMUM_AWARDS.get(rule, 1), MINIMUM_BIDS.get(rule, 1)
            ):
                continue
            found.append(
                GroundTruth(
                    max(involvement.moments),
                    rule,
                    school_id,
                    kind,
                    subject_id,
                    tuple(sorted(involvement.evidence)),
                )
            )
        return sorted(found, key=lambda truth: (truth.time, truth.rule_id, truth.subject_id))
