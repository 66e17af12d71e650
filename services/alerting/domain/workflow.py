"""The closed-loop disposal workflow (闭环处置) as a table of allowed transitions.

    待研判 new ─assign→ 已分派 assigned ─investigate→ 核查中 investigating ─rectify→ 整改中 rectifying
        ─submit_for_review→ 待复核 under_review ─approve→ 已办结 closed
                                              └─reject→ 整改中 rectifying (review failed)
    dismiss  (new, assigned, investigating)            → 已排除 dismissed   reason + resolution code required
    transfer (any open state)                          → 已移送 transferred  handed to the discipline commission
    reopen   (closed, dismissed)                       → 待研判 new

Case states and actions are Python enums rather than lookup tables: the
workflow is code (this table), so a state added only in the database could never
be reached.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from services.alerting.errors import InvalidTransition


class CaseState(enum.Enum):
    NEW = "new"
    ASSIGNED = "assigned"
    INVESTIGATING = "investigating"
    RECTIFYING = "rectifying"
    UNDER_REVIEW = "under_review"
    CLOSED = "closed"
    DISMISSED = "dismissed"
    TRANSFERRED = "transferred"

    @property
    def label_zh(self) -> str:
        return _STATE_ZH[self]

    @property
    def is_open(self) -> bool:
        return self not in TERMINAL_STATES


_STATE_ZH = {
    CaseState.NEW: "待研判",
    CaseState.ASSIGNED: "已分派",
    CaseState.INVESTIGATING: "核查中",
    CaseState.RECTIFYING: "整改中",
    CaseState.UNDER_REVIEW: "待复核",
    CaseState.CLOSED: "已办结",
    CaseState.DISMISSED: "已排除",
    CaseState.TRANSFERRED: "已移送",
}
TERMINAL_STATES = frozenset({CaseState.CLOSED, CaseState.DISMISSED, CaseState.TRANSFERRED})
OPEN_STATES = frozenset(set(CaseState) - TERMINAL_STATES)


class Action(enum.Enum):
    ASSIGN = "assign"
    INVESTIGATE = "investigate"
    RECTIFY = "rectify"
    SUBMIT_FOR_REVIEW = "submit_for_review"
    APPROVE = "approve"
    REJECT = "reject"
    DISMISS = "dismiss"
    TRANSFER = "transfer"
    REOPEN = "reopen"

    @property
    def label_zh(self) -> str:
        return _ACTION_ZH[self]


_ACTION_ZH = {
    Action.ASSIGN: "分派",
    Action.INVESTIGATE: "开始核查",
    Action.RECTIFY: "责令整改",
    Action.SUBMIT_FOR_REVIEW: "提交复核",
    Action.APPROVE: "复核通过并办结",
    Action.REJECT: "复核不通过",
    Action.DISMISS: "排除",
    Action.TRANSFER: "移送",
    Action.REOPEN: "重新打开",
}


class Resolution(enum.Enum):
    """How a case ended; per rule, the share of FALSE_POSITIVE is the rule's false-positive rate."""

    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"
    DUPLICATE = "duplicate"
    INDETERMINATE = "indeterminate"


@dataclass(frozen=True, slots=True)
class ActionRule:
    sources: frozenset[CaseState]
    target: CaseState
    needs_comment: bool = False
    needs_assignee: bool = False
    needs_resolution: bool = False
    default_resolution: Resolution | None = None


ACTION_RULES: dict[Action, ActionRule] = {
    Action.ASSIGN: ActionRule(frozenset({CaseState.NEW}), CaseState.ASSIGNED, needs_assignee=True),
    Action.INVESTIGATE: ActionRule(frozenset({CaseState.ASSIGNED}), CaseState.INVESTIGATING),
    Action.RECTIFY: ActionRule(
        frozenset({CaseState.INVESTIGATING}), CaseState.RECTIFYING, needs_comment=True
    ),
    Action.SUBMIT_FOR_REVIEW: ActionRule(frozenset({CaseState.RECTIFYING}), CaseState.UNDER_REVIEW),
    Action.APPROVE: ActionRule(
        frozenset({CaseState.UNDER_REVIEW}),
        CaseState.CLOSED,
        default_resolution=Resolution.TRUE_POSITIVE,
    ),
    Action.REJECT: ActionRule(
        frozenset({CaseState.UNDER_REVIEW}), CaseState.RECTIFYING, needs_comment=True
    ),
    Action.DISMISS: ActionRule(
        frozenset({CaseState.NEW, CaseState.ASSIGNED, CaseState.INVESTIGATING}),
        CaseState.DISMISSED,
        needs_comment=True,
        needs_resolution=True,
    ),
    Action.TRANSFER: ActionRule(
        OPEN_STATES,
        CaseState.TRANSFERRED,
        needs_comment=True,
        default_resolution=Resolution.TRUE_POSITIVE,
    ),
    Action.REOPEN: ActionRule(
        frozenset({CaseState.CLOSED, CaseState.DISMISSED}), CaseState.NEW, needs_comment=True
    ),
}


def allowed_actions(state: CaseState) -> list[Action]:
    """The actions the workflow allows in ``state``, in the table's order (for the console's buttons)."""
    return [action for action, rule in ACTION_RULES.items() if state in rule.sources]


def next_state(state: CaseState, action: Action) -> CaseState:
    rule = ACTION_RULES[action]
    if state not in rule.sources:
        allowed = allowed_actions(state)
        allowed_zh = "、".join(a.label_zh for a in allowed) or "无"
        allowed_en = ", ".join(a.value for a in allowed) or "none"
        raise InvalidTransition(
            f"案件处于「{state.label_zh}」状态，不能执行「{action.label_zh}」（可执行：{allowed_zh}）/ "
            f"a case in state '{state.value}' cannot take action '{action.value}' (allowed: {allowed_en})"
        )
    return rule.target


def check_requirements(
    action: Action, *, comment: str, assignee: str | None, resolution: Resolution | None
) -> Resolution | None:
    """Refuse an action that lacks its reason, assignee or resolution; returns the resolution to record."""
    rule = ACTION_RULES[action]
    if rule.needs_comment and not comment.strip():
        raise InvalidTransition(
            f"「{action.label_zh}」须填写理由 / action '{action.value}' needs a comment giving the reason"
        )
    if rule.needs_assignee and not (assignee and assignee.strip()):
        raise InvalidTransition(
            f"「{action.label_zh}」须指定承办人 / action '{action.value}' needs an assignee"
        )
    if rule.needs_resolution and resolution is None:
        codes = ", ".join(code.value for code in Resolution)
        raise InvalidTransition(
            f"「{action.label_zh}」须选择处置结论 / action '{action.value}' needs a resolution code ({codes})"
        )
    return resolution or rule.default_resolution
