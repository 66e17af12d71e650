"""A case (案件): the alerts about one problem and what has been done about it.

Every change appends a chained history entry; ``pending_entries`` and
``pending_alerts`` hold what this unit of work added, for the repository to store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.alerting.domain.alerts import Alert, CaseKey, RiskArea, Severity, severity_rank
from services.alerting.domain.deadlines import Deadlines
from services.alerting.domain.history import (
    GENESIS_HASH,
    Attachment,
    EntryKind,
    HistoryEntry,
    chained_entry,
)
from services.alerting.domain.workflow import (
    Action,
    CaseState,
    Resolution,
    check_requirements,
    next_state,
)

SYSTEM_ACTOR = "system:alerting"


@dataclass(frozen=True, slots=True)
class ReceivedAlert:
    alert: Alert
    received_at: datetime


@dataclass
class Case:
    id: str
    key: CaseKey
    district_id: str | None
    risk_area: RiskArea
    severity: Severity
    title_zh: str
    title_en: str
    opened_at: datetime
    first_alert_at: datetime
    last_alert_at: datetime
    state: CaseState = CaseState.NEW
    alert_count: int = 0
    routed_to_district: bool = False
    linked_case_id: str | None = None
    assignee: str | None = None
    resolution: Resolution | None = None
    stage_entered_at: datetime | None = None
    stage_seq: int = 0
    deadline_at: datetime | None = None
    terminal_at: datetime | None = None
    history_count: int = 0
    chain_head: str = GENESIS_HASH
    pending_entries: list[HistoryEntry] = field(default_factory=list, repr=False)
    pending_alerts: list[ReceivedAlert] = field(default_factory=list, repr=False)

    @classmethod
    def open(
        cls,
        case_id: str,
        alert: Alert,
        *,
        now: datetime,
        deadlines: Deadlines,
        leader_role: str | None = None,
        linked_case_id: str | None = None,
    ) -> Case:
        """A new case for ``alert``.

        It goes to the district when its subject leads the school (``leader_role``: conflict of
        interest) or when the alert concerns no single school.
        """
        case = cls(
            id=case_id,
            key=alert.case_key,
            district_id=alert.district_id,
            risk_area=alert.risk_area,
            severity=alert.severity,
            title_zh=alert.title_zh,
            title_en=alert.title_en,
            opened_at=now,
            first_alert_at=alert.event_time,
            last_alert_at=alert.event_time,
            routed_to_district=leader_role is not None or alert.school_id is None,
            linked_case_id=linked_case_id,
        )
        details: dict[str, Any] = {"alert_id": alert.alert_id, "severity": alert.severity.value}
        if leader_role is not None:
            details["routed_to_district"] = (
                f"conflict of interest: subject is the school's {leader_role}"
            )
        elif alert.school_id is None:
            details["routed_to_district"] = "the alert concerns no single school"
        if linked_case_id is not None:
            details["linked_case_id"] = linked_case_id
        case.alert_count = 1
        case.pending_alerts.append(ReceivedAlert(alert, now))
        entry = case._append(
            EntryKind.OPENED, now, SYSTEM_ACTOR, to_state=CaseState.NEW, details=details
        )
        case._enter_stage(CaseState.NEW, now, entry.seq, deadlines)
        return case

    def add_evidence(self, alert: Alert, *, now: datetime, deadlines: Deadlines) -> None:
        """A repeated alert: more evidence for this case; a more severe one raises the case's severity."""
        details: dict[str, Any] = {"alert_id": alert.alert_id, "severity": alert.severity.value}
        self.alert_count += 1
        self.pending_alerts.append(ReceivedAlert(alert, now))
        self.first_alert_at = min(self.first_alert_at, alert.event_time)
        self.last_alert_at = max(self.last_alert_at, alert.event_time)
        if severity_rank(alert.severity) < severity_rank(self.severity):
            details["severity_raised_from"] = self.severity.value
            self.severity = alert.severity
            self._tighten_deadline(deadlines)
        self._append(EntryKind.EVIDENCE_ADDED, now, SYSTEM_ACTOR, details=details)

    def take_action(
        self,
        action: Action,
        *,
        actor: str,
        now: datetime,
        deadlines: Deadlines,
        comment: str = "",
        attachments: Sequence[Attachment] = (),
        assignee: str | None = None,
        resolution: Resolution | None = None,
    ) -> HistoryEntry:
        target = next_state(self.state, action)
        recorded_resolution = check_requirements(
            action, comment=comment, assignee=assignee, resolution=resolution
        )
        details: dict[str, Any] = {}
        if action is Action.ASSIGN and assignee:
            self.assignee = assignee
            details["assignee"] = assignee
        if recorded_resolution is not None:
            details["resolution"] = recorded_resolution.value
        source = self.state
        entry = self._append(
            EntryKind.TRANSITIONED,
            now,
            actor,
            action=action,
            from_state=source,
            to_state=target,
            comment=comment,
            attachments=attachments,
            details=details,
        )
        self.state = target
        self.resolution = recorded_resolution if not target.is_open else None
        self.terminal_at = None if target.is_open else now
        self._enter_stage(target, now, entry.seq, deadlines)
        return entry

    def record_escalation(self, *, now: datetime, details: dict[str, Any]) -> HistoryEntry:
        return self._append(EntryKind.ESCALATED, now, SYSTEM_ACTOR, details=details)

    def drain_pending(self) -> tuple[list[HistoryEntry], list[ReceivedAlert]]:
        """Hand the new history entries and alerts to the repository that stores them."""
        entries, alerts = self.pending_entries, self.pending_alerts
        self.pending_entries, self.pending_alerts = [], []
        return entries, alerts

    def is_overdue(self, now: datetime) -> bool:
        return self.deadline_at is not None and now >= self.deadline_at

    def _enter_stage(self, state: CaseState, now: datetime, seq: int, deadlines: Deadlines) -> None:
        self.stage_entered_at = now
        self.stage_seq = seq
        self.deadline_at = deadlines.for_stage(state, self.severity, now)

    def _tighten_deadline(self, deadlines: Deadlines) -> None:
        if self.deadline_at is None or self.stage_entered_at is None:
            return
        stricter = deadlines.for_stage(self.state, self.severity, self.stage_entered_at)
        if stricter is not None:
            self.deadline_at = min(self.deadline_at, stricter)

    def _append(self, kind: EntryKind, now: datetime, actor: str, **content: Any) -> HistoryEntry:
        entry = chained_entry(
            case_id=self.id,
            seq=self.history_count + 1,
            prev_hash=self.chain_head,
            kind=kind,
            at=now,
            actor=actor,
            **content,
        )
        self.pending_entries.append(entry)
        self.history_count = entry.seq
        self.chain_head = entry.hash
        return entry
