"""The REST API's request and response bodies (they make up the OpenAPI document at /openapi.json)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.alerting.adapters.alert_codec import alert_to_data
from services.alerting.domain.access import Role, User
from services.alerting.domain.accounts import CaseRead
from services.alerting.domain.alerts import RiskArea, Severity
from services.alerting.domain.case import Case
from services.alerting.domain.history import ChainStatus, HistoryEntry
from services.alerting.domain.notifications import DeliveryAttempt
from services.alerting.domain.resolutions import RuleOutcomes
from services.alerting.domain.silences import Silence
from services.alerting.domain.summary import CaseSummary
from services.alerting.domain.workflow import Action, CaseState, Resolution
from services.alerting.service_layer.desk import CaseFile


class Problem(BaseModel):
    error: str = Field(description="机器可读代码 / Machine-readable code, e.g. case_not_found.")
    message: str = Field(description="说明（中文 / English）/ What went wrong and what to do.")


class Me(BaseModel):
    username: str
    display_name: str
    role: Role
    district_id: str | None
    school_id: str | None
    csrf_token: str = Field(
        description="会话请求须在 X-CSRF-Token 头中回传 / Send back in X-CSRF-Token on state-changing "
        "requests made with the session cookie; empty for bearer tokens."
    )

    @classmethod
    def of(cls, user: User, csrf_token: str) -> Me:
        return cls(
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            district_id=user.district_id,
            school_id=user.school_id,
            csrf_token=csrf_token,
        )


class CaseItem(BaseModel):
    id: str
    title_zh: str
    title_en: str
    state: CaseState
    severity: Severity
    risk_area: RiskArea
    rule_id: str
    school_id: str | None
    district_id: str | None
    routed_to_district: bool
    assignee: str | None
    alert_count: int
    opened_at: datetime
    deadline_at: datetime | None
    overdue: bool

    @classmethod
    def of(cls, case: Case, now: datetime) -> CaseItem:
        return cls(
            id=case.id,
            title_zh=case.title_zh,
            title_en=case.title_en,
            state=case.state,
            severity=case.severity,
            risk_area=case.risk_area,
            rule_id=case.key.rule_id,
            school_id=case.key.school_id,
            district_id=case.district_id,
            routed_to_district=case.routed_to_district,
            assignee=case.assignee,
            alert_count=case.alert_count,
            opened_at=case.opened_at,
            deadline_at=case.deadline_at,
            overdue=case.state.is_open and case.is_overdue(now),
        )


class InboxPage(BaseModel):
    items: list[CaseItem]
    limit: int
    offset: int
    next_offset: int | None = Field(
        description="下一页的 offset；没有下一页时为空 / None on the last page."
    )


class Chain(BaseModel):
    intact: bool
    problem: str | None
    seq: int | None
    description: str

    @classmethod
    def of(cls, status: ChainStatus) -> Chain:
        return cls(
            intact=status.intact,
            problem=None if status.problem is None else status.problem.value,
            seq=status.seq,
            description=status.describe(),
        )


class AttachmentRef(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class Entry(BaseModel):
    seq: int
    kind: str
    at: datetime
    actor: str
    action: Action | None
    from_state: CaseState | None
    to_state: CaseState | None
    comment: str
    attachments: list[AttachmentRef]
    details: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, entry: HistoryEntry) -> Entry:
        return cls(
            seq=entry.seq,
            kind=entry.kind.value,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            from_state=entry.from_state,
            to_state=entry.to_state,
            comment=entry.comment,
            attachments=[AttachmentRef(name=a.name, sha256=a.sha256) for a in entry.attachments],
            details=entry.details,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class History(BaseModel):
    case_id: str
    chain: Chain
    entries: list[Entry]


class Delivery(BaseModel):
    notification_key: str
    channel: str
    kind: str
    target: str
    attempt: int
    status: str
    error: str | None
    at: datetime

    @classmethod
    def of(cls, attempt: DeliveryAttempt) -> Delivery:
        return cls(
            notification_key=attempt.notification_key,
            channel=attempt.channel,
            kind=attempt.kind,
            target=attempt.target,
            attempt=attempt.attempt,
            status=attempt.status.value,
            error=attempt.error,
            at=attempt.at,
        )


class CaseDetail(CaseItem):
    subject_kind: str
    subject_id: str
    linked_case_id: str | None
    resolution: Resolution | None
    permitted_actions: list[Action]
    chain: Chain
    evidence: list[dict[str, Any]] = Field(
        description="触发的预警（alert.v1 data）/ The alerts, as alert.v1 data."
    )
    history: list[Entry]
    deliveries: list[Delivery]

    @classmethod
    def of_file(cls, file: CaseFile, now: datetime) -> CaseDetail:
        case = file.case
        return cls(
            **CaseItem.of(case, now).model_dump(),
            subject_kind=case.key.subject.kind.value,
            subject_id=case.key.subject.id,
            linked_case_id=case.linked_case_id,
            resolution=case.resolution,
            permitted_actions=file.permitted_actions,
            chain=Chain.of(file.chain),
            evidence=[alert_to_data(alert) for alert in file.evidence],
            history=[Entry.of(entry) for entry in file.history],
            deliveries=[Delivery.of(attempt) for attempt in file.deliveries],
        )


class ActionRequest(BaseModel):
    action: Action
    comment: str = ""
    assignee: str | None = None
    resolution: Resolution | None = None
    attachments: list[AttachmentRef] = Field(
        default_factory=list,
        description="先经 POST /api/v1/attachments 上传 / Upload first with POST /api/v1/attachments.",
    )


class ActionResult(BaseModel):
    case: CaseItem
    entry: Entry


class SilenceRequest(BaseModel):
    matchers: list[str] = Field(min_length=1, examples=[["rule_id=C6", "school_id=500102001"]])
    starts_at: datetime | None = Field(None, description="默认为现在 / Default: now.")
    ends_at: datetime
    comment: str = Field(min_length=1)


class SilenceItem(BaseModel):
    id: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    expired_by: str | None
    active: bool

    @classmethod
    def of(cls, silence: Silence, now: datetime) -> SilenceItem:
        return cls(
            id=silence.id,
            matchers=[str(matcher) for matcher in silence.matchers],
            starts_at=silence.starts_at,
            ends_at=silence.ends_at,
            created_by=silence.created_by,
            comment=silence.comment,
            created_at=silence.created_at,
            expired_by=silence.expired_by,
            active=silence.is_active(now),
        )


class CloseTimesOut(BaseModel):
    count: int
    median_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None


class SummaryOut(BaseModel):
    total: int
    open: int
    by_risk_area: dict[str, int]
    by_school: dict[str, int] = Field(
        description='无学校的跨校案件记为 "-" / Cross-school cases under "-".'
    )
    by_rule: dict[str, int]
    by_state: dict[str, int]
    by_severity: dict[str, int]
    time_to_close: CloseTimesOut

    @classmethod
    def of(cls, summary: CaseSummary) -> SummaryOut:
        times = summary.close_times
        return cls(
            total=summary.total,
            open=summary.open,
            by_risk_area={area.value: n for area, n in summary.by_risk_area.most_common()},
            by_school={school or "-": n for school, n in summary.by_school.most_common()},
            by_rule={rule: n for rule, n in summary.by_rule.most_common()},
            by_state={state.value: n for state, n in summary.by_state.most_common()},
            by_severity={severity.value: n for severity, n in summary.by_severity.most_common()},
            time_to_close=CloseTimesOut(
                count=times.count,
                median_seconds=None if times.median is None else times.median.total_seconds(),
                p90_seconds=None if times.p90 is None else times.p90.total_seconds(),
                mean_seconds=None if times.mean is None else times.mean.total_seconds(),
            ),
        )


class RuleOutcome(BaseModel):
    rule_id: str
    counts: dict[str, int]
    false_positive_rate: float | None = Field(
        description="误报 ÷（属实 + 误报）/ false positives ÷ (true + false positives); null if none judged."
    )

    @classmethod
    def of(cls, outcome: RuleOutcomes) -> RuleOutcome:
        return cls(
            rule_id=outcome.rule_id,
            counts={resolution.value: n for resolution, n in outcome.counts.items()},
            false_positive_rate=outcome.false_positive_rate,
        )


class CaseReadItem(BaseModel):
    username: str
    case_id: str
    at: datetime
    channel: str
    view: str

    @classmethod
    def of(cls, read: CaseRead) -> CaseReadItem:
        return cls(
            username=read.username,
            case_id=read.case_id,
            at=read.at,
            channel=read.channel.value,
            view=read.view,
        )


class AuditReport(BaseModel):
    checked: int
    intact: bool
    broken: dict[str, Chain] = Field(
        description="案件号 → 问题 / case id → what is wrong with its chain."
    )
