"""The console's words in Chinese (default) and English; ``?lang=en`` switches, a cookie remembers."""

from __future__ import annotations

import enum
from collections.abc import Callable

from services.alerting.domain.access import Role
from services.alerting.domain.alerts import SEVERITY_ZH, RiskArea, Severity
from services.alerting.domain.workflow import Action, CaseState, Resolution


class Language(enum.Enum):
    ZH = "zh"
    EN = "en"


LANGUAGE_COOKIE = "qinglian_lang"

TEXT: dict[str, tuple[str, str]] = {
    "app": ("清廉 · 预警处置", "Qinglian · Case console"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "User name"),
    "password": ("密码", "Password"),
    "inbox": ("待办案件", "Inbox"),
    "summary": ("统计", "Summary"),
    "silences": ("屏蔽", "Silences"),
    "filter": ("筛选", "Filter"),
    "all": ("全部", "All"),
    "open_states": ("未办结", "Open"),
    "severity": ("等级", "Severity"),
    "state": ("状态", "State"),
    "school": ("学校", "School"),
    "district": ("区县", "District"),
    "risk_area": ("风险领域", "Risk area"),
    "rule": ("规则", "Rule"),
    "overdue": ("已逾期", "Overdue"),
    "overdue_only": ("只看逾期", "Overdue only"),
    "deadline": ("期限", "Deadline"),
    "opened_at": ("立案时间", "Opened"),
    "alerts": ("预警数", "Alerts"),
    "assignee": ("承办人", "Assignee"),
    "title": ("事项", "Case"),
    "no_cases": ("没有符合条件的案件。", "No cases match."),
    "previous": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "case": ("案件", "Case"),
    "routed": ("利益冲突，已提级至区县办理", "Conflict of interest: handled by the district"),
    "district_level": ("区县级", "District-level"),
    "district_level_case": (
        "区县级预警：涉及多所学校，由区县办理",
        "District-level alert: it concerns no single school and is handled by the district",
    ),
    "linked_case": ("关联案件", "Linked case"),
    "subject": ("涉及对象", "Subject"),
    "evidence": ("证据", "Evidence"),
    "timeline": ("处置记录", "Timeline"),
    "chain_intact": ("✔ 记录完整", "✔ intact"),
    "chain_broken": ("✘ 记录被篡改", "✘ tampered"),
    "audit_export": ("导出审计包", "Export audit bundle"),
    "actions": ("可执行操作", "Actions"),
    "no_actions": (
        "当前状态下您没有可执行的操作。",
        "You cannot act on this case in its current state.",
    ),
    "comment": ("说明", "Comment"),
    "reason": ("理由", "Reason"),
    "resolution": ("处置结论", "Resolution"),
    "attachments": ("附件", "Attachments"),
    "submit": ("提交", "Submit"),
    "measured": ("实测值", "Measured"),
    "threshold": ("阈值", "Threshold"),
    "citation": ("依据", "Citation"),
    "event_time": ("发生时间", "Event time"),
    "detected_at": ("发现时间", "Detected"),
    "window": ("统计区间", "Window"),
    "evidence_events": ("原始事件", "Source events"),
    "details": ("明细", "Details"),
    "notifications": ("通知记录", "Notifications"),
    "actor": ("操作人", "By"),
    "time": ("时间", "Time"),
    "total": ("合计", "Total"),
    "open_cases": ("未办结", "Open"),
    "by_risk_area": ("按风险领域", "By risk area"),
    "by_school": ("按学校", "By school"),
    "by_rule": ("按规则", "By rule"),
    "by_state": ("按状态", "By state"),
    "time_to_close": ("办结用时", "Time to close"),
    "closed_count": ("已办结案件", "Closed cases"),
    "median": ("中位数", "Median"),
    "p90": ("90% 分位", "90th percentile"),
    "mean": ("平均", "Mean"),
    "outcomes": ("规则处置结论", "Outcomes by rule"),
    "fp_rate": ("误报率", "False-positive rate"),
    "matchers": ("条件", "Matchers"),
    "starts_at": ("开始", "Starts"),
    "ends_at": ("结束", "Ends"),
    "created_by": ("创建人", "Created by"),
    "expire": ("提前结束", "Expire"),
    "new_silence": ("新增屏蔽", "New silence"),
    "matchers_hint": (
        "每行一个，如 rule_id=C6 或 school_id=~5001.*",
        "One per line, e.g. rule_id=C6 or school_id=~5001.*",
    ),
    "hours": ("时长（小时）", "Duration (hours)"),
    "active": ("生效中", "Active"),
    "ended": ("已结束", "Ended"),
    "pending": ("未开始", "Pending"),
    "done": ("操作已记录", "Action recorded"),
    "language": ("English", "中文"),
    "none": ("无", "none"),
    "days": ("天", "days"),
    "hours_unit": ("小时", "hours"),
    "opened": ("立案", "Opened"),
    "evidence_added": ("新增证据", "Evidence added"),
    "transitioned": ("处置", "Action"),
    "escalated": ("督办", "Escalated"),
}

STATE_EN = {
    CaseState.NEW: "New",
    CaseState.ASSIGNED: "Assigned",
    CaseState.INVESTIGATING: "Investigating",
    CaseState.RECTIFYING: "Rectifying",
    CaseState.UNDER_REVIEW: "Under review",
    CaseState.CLOSED: "Closed",
    CaseState.DISMISSED: "Dismissed",
    CaseState.TRANSFERRED: "Transferred",
}
ACTION_EN = {
    Action.ASSIGN: "Assign",
    Action.INVESTIGATE: "Start investigation",
    Action.RECTIFY: "Order rectification",
    Action.SUBMIT_FOR_REVIEW: "Submit for review",
    Action.APPROVE: "Approve and close",
    Action.REJECT: "Reject review",
    Action.DISMISS: "Dismiss",
    Action.TRANSFER: "Transfer",
    Action.REOPEN: "Reopen",
}
SEVERITY_EN = {Severity.RED: "Red", Severity.ORANGE: "Orange", Severity.YELLOW: "Yellow"}
RISK_AREA_TEXT = {
    RiskArea.CANTEEN: ("食堂", "Canteen"),
    RiskArea.PROCUREMENT: ("招采", "Procurement"),
    RiskArea.ENROLLMENT: ("学籍", "Enrollment"),
    RiskArea.FINANCE: ("财务", "Finance"),
}
RESOLUTION_TEXT = {
    Resolution.TRUE_POSITIVE: ("属实", "True positive"),
    Resolution.FALSE_POSITIVE: ("误报", "False positive"),
    Resolution.DUPLICATE: ("重复", "Duplicate"),
    Resolution.INDETERMINATE: ("无法认定", "Indeterminate"),
}
ROLE_EN = {
    Role.DISTRICT_INSPECTOR: "District inspector",
    Role.SCHOOL_OFFICER: "School discipline officer",
    Role.AUDITOR: "Auditor",
    Role.ADMINISTRATOR: "Administrator",
}


def translator(language: Language) -> Callable[[object], str]:
    """``t(key)`` for words, ``t(enum member)`` for states, actions, severities, areas, resolutions, roles."""
    english = language is Language.EN

    def t(item: object) -> str:
        if isinstance(item, CaseState):
            return STATE_EN[item] if english else item.label_zh
        if isinstance(item, Action):
            return ACTION_EN[item] if english else item.label_zh
        if isinstance(item, Severity):
            return SEVERITY_EN[item] if english else SEVERITY_ZH[item]
        if isinstance(item, Role):
            return ROLE_EN[item] if english else item.label_zh
        if isinstance(item, RiskArea):
            return RISK_AREA_TEXT[item][english]
        if isinstance(item, Resolution):
            return RESOLUTION_TEXT[item][english]
        zh, en = TEXT[str(item)]
        return en if english else zh

    return t
