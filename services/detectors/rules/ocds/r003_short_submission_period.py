"""R003 · 投标期过短 / Short submission period (OCP Cardinal)

A tender's submission period — whole days from ``tenderPeriod.startDate`` to
``endDate``, truncated toward zero — is shorter than ``threshold`` (15 days).
``procurement_methods`` limits the methods checked (all when empty);
``procurement_method_details`` gives a method detail its own number of days
(e.g. 询价 3 days under 政府采购法实施条例). Dates must be RFC 3339 with an offset,
as in Cardinal; others are skipped.

Cardinal: OCID = 1.0. Streaming: a single-event rule on ``procurement.tender``
(subject: the tender; one alert per tender). Same definition and defaults.
Source: OCP red flag R003; open-contracting/cardinal-rs ``src/indicators/r003.rs``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

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
from services.detectors.rules.ocds.cardinal import (
    Accumulator,
    CardinalSettings,
    Release,
    mapping,
    matches_procurement_method,
    or_default,
    parse_pipe_separated,
    section_number,
    text,
)
from services.detectors.rules.ocds.releases import TENDER, release_from_tender

CODE = "R003"
DEFAULT_THRESHOLD = 15
_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)
MICROSECONDS_PER_DAY = 86_400 * 1_000_000


def parse_rfc3339(value: str) -> datetime | None:
    """chrono's ``DateTime::parse_from_rfc3339``: an offset is required; None when invalid."""
    match = _RFC3339.match(value)
    if match is None:
        return None
    day, clock, fraction, offset = match.groups()
    fraction = f".{(fraction or '')[:6]:0<6}"
    offset = "+00:00" if offset in ("Z", "z") else offset
    try:
        return datetime.fromisoformat(f"{day}T{clock}{fraction}{offset}")
    except ValueError:
        return None


def whole_days(start: datetime, end: datetime) -> int:
    """chrono's ``num_days``: truncated toward zero."""
    delta = end - start
    micro = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    days = abs(micro) // MICROSECONDS_PER_DAY
    return days if micro >= 0 else -days


@dataclass
class Indicator:
    threshold: int = DEFAULT_THRESHOLD
    procurement_methods: frozenset[str] = frozenset()
    procurement_method_details: Mapping[str, int] = field(default_factory=dict)
    code: str = CODE

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], settings: CardinalSettings) -> Indicator:
        details = section.get("procurement_method_details") or {}
        return cls(
            threshold=or_default(
                section_number(section, CODE, "threshold", int), DEFAULT_THRESHOLD
            ),
            procurement_methods=parse_pipe_separated(section.get("procurement_methods")),
            procurement_method_details={
                key: section_number(details, CODE, key, int) for key in details
            },
        )

    def submission_days(self, release: Release) -> tuple[int, int] | None:
        """(days, threshold) when the release is checked and its dates parse."""
        tender = mapping(release, "tender")
        period = mapping(tender, "tenderPeriod")
        start, end = text(period, "startDate"), text(period, "endDate")
        if (
            tender is None
            or not matches_procurement_method(tender, self.procurement_methods)
            or start is None
            or end is None
        ):
            return None
        start_date, end_date = parse_rfc3339(start), parse_rfc3339(end)
        if start_date is None or end_date is None:
            return None
        details = text(tender, "procurementMethodDetails")
        threshold = (
            self.procurement_method_details.get(details, self.threshold)
            if details is not None
            else self.threshold
        )
        return whole_days(start_date, end_date), threshold

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        checked = self.submission_days(release)
        if checked is not None and checked[0] < checked[1]:
            acc.set_result("OCID", ocid, CODE, 1.0)

    def finalize(self, acc: Accumulator) -> None:
        return None


@dataclass(frozen=True)
class Parameters:
    threshold: int = DEFAULT_THRESHOLD
    procurement_methods: tuple[str, ...] = ()
    procurement_method_details: tuple[tuple[str, int], ...] = ()


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    indicator = Indicator(
        params.threshold,
        frozenset(params.procurement_methods),
        dict(params.procurement_method_details),
    )
    release = release_from_tender(event)
    checked = indicator.submission_days(release)
    if release["tender"]["status"] == "cancelled" or checked is None or checked[0] >= checked[1]:
        return
    days, threshold = checked
    yield finding(
        event,
        subject=(SubjectKind.TENDER, release["ocid"]),
        measured=Decimal(days),
        threshold=Decimal(threshold),
        comparison=Comparison.LT,
        record_id=event["data"]["tender_id"],
        details={"tender_period": release["tender"]["tenderPeriod"], "unit": "days"},
    )


RULE = SingleEventRule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="投标期过短",
        title_en="Short submission period",
        citation="OCP Red Flags R003 (OCP Cardinal): submission period shorter than the threshold; 政府采购法实施条例 等待期要求",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.YELLOW,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=frozenset({TENDER}),
        doc=__doc__,
    ),
    evaluate,
)
