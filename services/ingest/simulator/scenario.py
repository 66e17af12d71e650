"""What to simulate: the seed, the district's size, the dates and how often to inject anomalies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from services.ingest.simulator.errors import ScenarioError

# people.py gives every student of up to this many schools a distinct ID number.
MAX_SCHOOLS = 10_000
DEFAULT_START = date(2025, 9, 1)  # first day of the 2025 autumn term
DEFAULT_ANOMALY_RATE = 0.1
PROCUREMENT_LEAD_IN_DAYS = 60
"""Procurement processes take longer than a short scenario (a tender alone is open for weeks),
so the district's procurement platform starts this many days before the other systems: the
scenario opens with processes already under way instead of an empty pipeline."""


@dataclass(frozen=True, slots=True)
class Scenario:
    seed: int = 1
    schools: int = 50
    days: int = 30
    start: date = DEFAULT_START
    anomaly_rate: float = DEFAULT_ANOMALY_RATE
    """Anomalies injected per rule, per school: 0.1 with 50 schools gives 5 per rule (at least 1)."""
    pseudonym_key: bytes = field(default=b"", repr=False)
    """The ingest pseudonymization key, so ground-truth subjects name people as the detectors see them."""
    district_id: str = "500102"
    district_name: str = "涪陵区"

    def __post_init__(self) -> None:
        if not 1 <= self.schools <= MAX_SCHOOLS:
            raise ScenarioError(
                f"学校数量超出范围 / --schools must be between 1 and {MAX_SCHOOLS}, got {self.schools}"
            )
        if self.days < 1:
            raise ScenarioError(f"天数必须为正 / --days must be at least 1, got {self.days}")
        if not 0 <= self.anomaly_rate <= 1:
            raise ScenarioError(
                f"异常比例超出范围 / --anomaly-rate must be between 0 and 1, got {self.anomaly_rate}"
            )

    @property
    def end(self) -> date:
        """The first day after the scenario."""
        return self.start + timedelta(days=self.days)

    @property
    def procurement_start(self) -> date:
        return self.start - timedelta(days=PROCUREMENT_LEAD_IN_DAYS)

    def dates(self) -> list[date]:
        return [self.start + timedelta(days=offset) for offset in range(self.days)]

    def anomalies_per_rule(self) -> int:
        if self.anomaly_rate == 0:
            return 0
        return max(1, round(self.anomaly_rate * self.schools))
