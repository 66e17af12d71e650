"""F_APPROVAL · 异常审批 / Odd-hour approval or requester approving their own request

Approvals given between ``night_start_hour`` (22:00) and ``night_end_hour``
(06:00) China time, and approvals given by the person who requested the
payment, are signs of a workflow run by one hand. Every approval step
(``action`` = approved) of a ``finance.payment_voucher`` or
``finance.reimbursement`` is checked; the alert names the approver.

Kind: single event. Subject: the approver (pseudonym); one alert per document,
approver and finding (``odd_hour`` or ``self_approval``).
Source: discipline-inspection practice (异常审批：深夜审批、经办人即审批人) ✘; thresholds configurable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from services.detectors.core.eventtime import CHINA_TZ, parse_time
from services.detectors.core.findings import finding, yuan
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

VOUCHER = "cn.edu.qinglian.finance.payment_voucher.v1"
REIMBURSEMENT = "cn.edu.qinglian.finance.reimbursement.v1"


@dataclass(frozen=True)
class Parameters:
    night_start_hour: int = 22
    night_end_hour: int = 6


def evaluate(event: Event, params: Parameters) -> Iterator[Finding]:
    data = event["data"]
    if event["type"] == VOUCHER:
        document, requester = data["voucher_id"], data["requester"]["staff_id"]
    else:
        document, requester = data["reimbursement_id"], data["claimant"]["staff_id"]
    details = {"document": document, "amount_yuan": yuan(data["amount_fen"])}
    for step in data["approval_chain"]:
        if step["action"] != "approved":
            continue
        approver, acted = step["actor_staff_id"], parse_time(step["acted_at"])
        hour = acted.astimezone(CHINA_TZ).hour
        late, early = hour >= params.night_start_hour, hour < params.night_end_hour
        if late or early:
            yield finding(
                event,
                subject=(SubjectKind.STAFF, approver),
                measured=hour,
                threshold=params.night_start_hour if late else params.night_end_hour,
                comparison=Comparison.GE if late else Comparison.LT,
                moment=acted,
                record_id=f"{document}/{approver}/odd_hour",
                details={
                    **details,
                    "finding": "odd_hour",
                    "acted_at": step["acted_at"],
                    "role": step["role"],
                },
            )
        if approver == requester:
            yield finding(
                event,
                subject=(SubjectKind.STAFF, approver),
                measured=1,
                threshold=0,
                comparison=Comparison.GT,
                moment=acted,
                record_id=f"{document}/{approver}/self_approval",
                details={**details, "finding": "self_approval", "role": step["role"]},
            )


RULE = SingleEventRule(
    RuleMeta(
        id="F_APPROVAL",
        version="1.0.0",
        title_zh="异常审批（深夜审批或经办人自批）",
        title_en="Odd-hour approval or requester approving their own payment",
        citation="内部控制：不相容岗位相互分离（《行政事业单位内部控制规范》第十二条）；深夜审批为纪检监督异常信号",
        kind=RuleKind.SINGLE_EVENT,
        severity=Severity.YELLOW,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({VOUCHER, REIMBURSEMENT}),
        doc=__doc__,
    ),
    evaluate,
)
