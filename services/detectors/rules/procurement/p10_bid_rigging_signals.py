"""P10 · 围标串标迹象 / Bid-rigging signals

Bids from different tenderers that share a deposit payer account, the same
price, the same bid-file author or the same machine fingerprint suggest bids
prepared by one hand. When the bidding closes (``tenderPeriod.endDate`` of the
process's ``procurement.tender``), the submitted bids (not invited or
withdrawn) are grouped by each signal; a value shared by at least
``minimum_tenderers`` distinct tenderers is alerted, one alert per signal
(``deposit_account``, ``identical_price``, ``document_author``, ``machine_code``).

Kind: join (per process, school × ocid). Emits when the watermark passes the
bid deadline. Subject: the tender.
Source: 《招标投标法实施条例》第四十条 (视为串通投标: 同一单位或者个人办理投标事宜、投标文件异常一致、
投标保证金从同一单位或者个人的账户转出) ✔; 《政府采购法实施条例》第七十四条 ✔.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.detectors.core.eventtime import parse_time
from services.detectors.core.model import Comparison, RiskArea, RuleKind, Severity
from services.detectors.core.rule import RuleMeta
from services.detectors.rules.ocds.processes import Judgement, process_rule
from services.detectors.rules.ocds.releases import PROCESS_EVENTS, Process

SIGNALS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "deposit_account": lambda bid: bid.get("depositPayerAccount"),
    "identical_price": lambda bid: (
        f"{bid['value']['amount']} {bid['value']['currency']}" if "value" in bid else None
    ),
    "document_author": lambda bid: bid.get("documentAuthor"),
    "machine_code": lambda bid: bid.get("documentMachineCode"),
}


@dataclass(frozen=True)
class Parameters:
    minimum_tenderers: int = 2
    retention_days: int = 90


def bidding_closed(process: Process) -> datetime | None:
    tender = process["parts"].get("tender")
    return parse_time(tender["value"]["tender"]["tenderPeriod"]["endDate"]) if tender else None


def judge(release: dict[str, Any], params: Parameters) -> list[Judgement]:
    bids = [
        b
        for b in release.get("bids", {}).get("details", [])
        if b["status"] not in ("invited", "withdrawn")
    ]
    judgements = []
    for signal, read in SIGNALS.items():
        shared: dict[Any, set[str]] = {}
        for bid in bids:
            value = read(bid)
            if value is not None:
                shared.setdefault(value, set()).update(t["id"] for t in bid["tenderers"])
        groups = {
            value: sorted(ids)
            for value, ids in shared.items()
            if len(ids) >= params.minimum_tenderers
        }
        if groups:
            largest = max(len(ids) for ids in groups.values())
            details = {"signal": signal, "shared": groups}
            judgements.append(
                Judgement(
                    Decimal(largest),
                    Decimal(params.minimum_tenderers),
                    Comparison.GE,
                    details,
                    signal,
                )
            )
    return judgements


RULE = process_rule(
    RuleMeta(
        id="P10",
        version="1.0.0",
        title_zh="围标串标迹象（同一账户缴纳保证金、报价相同、投标文件同源）",
        title_en="Bid-rigging signals (shared deposit account, identical prices, same bid-file origin)",
        citation="《招标投标法实施条例》第四十条：投标保证金从同一单位或者个人的账户转出、投标文件异常一致等，视为串通投标",
        kind=RuleKind.JOIN,
        severity=Severity.RED,
        risk_area=RiskArea.PROCUREMENT,
        parameters=Parameters,
        event_types=PROCESS_EVENTS,
        doc=__doc__,
    ),
    judge,
    ready_at=bidding_closed,
)
