"""P6 · 有效投标人不足三家 / Fewer than three responsive bidders

Invited tenders, competitive negotiation and 询价 need at least three
suppliers, and a tender with fewer than three responsive bidders is void. The
rule assembles each process from its ``procurement.tender``, ``procurement.bid``
and ``procurement.award`` events and, once an award is decided, counts the
distinct tenderers with valid bids; a process awarded with fewer than
``minimum_bidders`` is alerted. Direct (single-source) procurement is exempt.

Kind: join (per process, school × ocid). Emits when the watermark passes the
award decision (later bid status changes within the lateness are seen).
Subject: the tender.
Source: 《政府采购法》第三十四、三十八、四十条; 第三十六条 "符合专业条件的供应商或者对招标文件作实质响应的供应商不足三家的…应予废标" ✔.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity
from services.detectors.core.rule import RuleMeta
from services.detectors.rules.ocds.processes import Judgement, process_rule
from services.detectors.rules.ocds.releases import PROCESS_EVENTS


@dataclass(frozen=True)
class Parameters:
    minimum_bidders: int = 3
    procurement_methods: tuple[str, ...] = ("open", "selective", "limited")
    retention_days: int = 90


def judge(release: dict[str, Any], params: Parameters) -> list[Judgement]:
    tender = release.get("tender")
    if tender is None or tender["procurementMethod"] not in params.procurement_methods:
        return []
    if not any(award["status"] == "active" for award in release.get("awards", [])):
        return []
    bids = release.get("bids", {}).get("details", [])
    valid = {t["id"] for bid in bids if bid["status"] == "valid" for t in bid["tenderers"]}
    if len(valid) >= params.minimum_bidders:
        return []
    details = {
        "method": tender["procurementMethodDetails"],
        "valid_tenderers": sorted(valid),
        "bids": len(bids),
    }
    return [Judgement(Decimal(len(valid)), Decimal(params.minimum_bidders), Comparison.LT, details)]


RULE = process_rule(
    RuleMeta(
        id="P6",
        version="1.0.0",
        title_zh="有效投标供应商不足三家仍授标",
        title_en="Award with fewer than three responsive bidders",
        citation="《政府采购法》第三十六条：符合专业条件的供应商或者对招标文件作实质响应的供应商不足三家的，应予废标",
        kind=RuleKind.JOIN,
        severity=Severity.ORANGE,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
    ),
    judge,
)
