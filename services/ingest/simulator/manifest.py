"""The manifest of a run: what was asked for and what came out (counts per event type and per rule)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from services.ingest.simulator.emissions import Emission, SimulatedEvent
from services.ingest.simulator.scenario import Scenario


@dataclass(frozen=True, slots=True)
class Manifest:
    scenario: Scenario
    events_by_type: dict[str, int]
    anomalies_by_rule: dict[str, int]
    not_injected: dict[str, str] = field(default_factory=dict)
    """Rules without an anomaly in this scenario, and why."""

    @property
    def events(self) -> int:
        return sum(self.events_by_type.values())

    def to_json(self) -> dict[str, Any]:
        scenario = self.scenario
        return {
            "seed": scenario.seed,
            "schools": scenario.schools,
            "days": scenario.days,
            "start": scenario.start.isoformat(),
            "procurement_start": scenario.procurement_start.isoformat(),
            "anomaly_rate": scenario.anomaly_rate,
            "district_id": scenario.district_id,
            "events": self.events,
            "events_by_type": dict(sorted(self.events_by_type.items())),
            "anomalies": sum(self.anomalies_by_rule.values()),
            "anomalies_by_rule": dict(sorted(self.anomalies_by_rule.items())),
            "not_injected": dict(sorted(self.not_injected.items())),
        }


class ManifestCounter:
    def __init__(self, scenario: Scenario, not_injected: dict[str, str]) -> None:
        self._scenario = scenario
        self._not_injected = not_injected
        self._types: Counter[str] = Counter()
        self._rules: Counter[str] = Counter()

    def count(self, emission: Emission) -> None:
        if isinstance(emission, SimulatedEvent):
            self._types[emission.event["type"]] += 1
        else:
            self._rules[emission.rule_id] += 1

    def manifest(self) -> Manifest:
        return Manifest(
            self._scenario, dict(self._types), dict(self._rules), dict(self._not_injected)
        )
