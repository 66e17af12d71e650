"""R018 · 仅收到一份投标 / Single bid received (OCP Cardinal)

A competitive tender (``procurement_methods``, default open|selective) reports
``numberOfTenderers`` = 1. As in Cardinal, only that field is read, not the
bids, and only a JSON integer 1 counts.

Cardinal: OCID = 1.0. Streaming: a single-event rule on ``procurement.tender``
(the update that sets ``number_of_tenderers``); subject: the tender.
Source: OCP red flag R018; open-contracting/cardinal-rs ``src/indicators/r018.rs``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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
    obj,
    parse_pipe_separated,
)
from services.detectors.rules.ocds.releases import TENDER, release_from_tender

CODE = "R018"
DEFAULT_METHODS = "open|selective"


@dataclass
class Indicator:
    procurement_methods: frozenset[str] = parse_pipe_separated(DEFAULT_METHODS)
    code: str = CODE

    @classmethod
    def from_settings(cls, section: Mapping[str, Any], settings: CardinalSettings) -> Indicator:
        return cls(parse_pipe_separated(section.get("procurement_methods", DEFAULT_METHODS)))

    def flags(self, release: Release) -> bool:
        tender = mapping(release, "tender")
        count = obj(tender, "numberOfTenderers")
        return (
            tender is not None
            and matches_procurement_method(tender, self.procurement_methods)
            and isinstance(count, int)
            and not isinstance(count, bool)
            and count == 1
        )

    def fold(self, acc: Accumulator, release: Release, ocid: str) -> None:
        if self.flags(release):
            acc.set_result("OCID", ocid, CODE, 1.0)

    def finalize(self, acc: Accumulator) -> None:
        return None


@dataclass(frozen=True)
class Parameters:
    procurement_methods: tuple[str, ...] = ("open", "selective")


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    release = release_from_tender(event)
    if release["tender"]["status"] != "cancelled" and Indicator(
        frozenset(params.procurement_methods)
    ).flags(release):
        yield finding(
            event,
            subject=(SubjectKind.TENDER, release["ocid"]),
            measured=1,
            threshold=1,
            comparison=Comparison.EQ,
            record_id=event["data"]["tender_id"],
            details={"procurement_method": release["tender"]["procurementMethod"]},
        )


RULE = SingleEventRule(
    RuleMeta(
        id=CODE,
        version="1.0.0",
        title_zh="竞争性采购仅收到一份投标",
        title_en="Single bid received",
        citation="OCP Red Flags R018 (OCP Cardinal); 政府采购法 第三十六条：投标人不足三家的应予废标",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.ORANGE,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=frozenset({TENDER}),
        doc=__doc__,
    ),
    evaluate,
)
