"""The disposal workflow: every (state, action) pair is either the documented transition or refused."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from services.alerting.domain.case import Case
from services.alerting.domain.deadlines import Deadlines
from services.alerting.domain.history import Attachment, EntryKind, verify_chain
from services.alerting.domain.workflow import Action, CaseState, Resolution, allowed_actions
from services.alerting.errors import InvalidTransition
from services.alerting.testing import sample_alert

S = CaseState
A = Action
ALLOWED = {
    (S.NEW, A.ASSIGN): S.ASSIGNED,
    (S.NEW, A.DISMISS): S.DISMISSED,
    (S.NEW, A.TRANSFER): S.TRANSFERRED,
    (S.ASSIGNED, A.INVESTIGATE): S.INVESTIGATING,
    (S.ASSIGNED, A.DISMISS): S.DISMISSED,
    (S.ASSIGNED, A.TRANSFER): S.TRANSFERRED,
    (S.INVESTIGATING, A.RECTIFY): S.RECTIFYING,
    (S.INVESTIGATING, A.DISMISS): S.DISMISSED,
    (S.INVESTIGATING, A.TRANSFER): S.TRANSFERRED,
    (S.RECTIFYING, A.SUBMIT_FOR_REVIEW): S.UNDER_REVIEW,
    (S.RECTIFYING, A.TRANSFER): S.TRANSFERRED,
    (S.UNDER_REVIEW, A.APPROVE): S.CLOSED,
    (S.UNDER_REVIEW, A.REJECT): S.RECTIFYING,
    (S.UNDER_REVIEW, A.TRANSFER): S.TRANSFERRED,
    (S.CLOSED, A.REOPEN): S.NEW,
    (S.DISMISSED, A.REOPEN): S.NEW,
}
# The shortest way to reach each state from a new case.
PATHS = {
    S.NEW: [],
    S.ASSIGNED: [A.ASSIGN],
    S.INVESTIGATING: [A.ASSIGN, A.INVESTIGATE],
    S.RECTIFYING: [A.ASSIGN, A.INVESTIGATE, A.RECTIFY],
    S.UNDER_REVIEW: [A.ASSIGN, A.INVESTIGATE, A.RECTIFY, A.SUBMIT_FOR_REVIEW],
    S.CLOSED: [A.ASSIGN, A.INVESTIGATE, A.RECTIFY, A.SUBMIT_FOR_REVIEW, A.APPROVE],
    S.DISMISSED: [A.DISMISS],
    S.TRANSFERRED: [A.TRANSFER],
}
NOW = datetime.fromisoformat("2026-09-28T10:00:00+08:00")


def complete_arguments(action: Action) -> dict[str, object]:
    """Everything any action may need, so only the state decides."""
    return {
        "comment": f"理由 for {action.value}",
        "assignee": "inspector-1",
        "resolution": Resolution.FALSE_POSITIVE,
    }


def case_in(state: CaseState, deadlines: Deadlines) -> Case:
    case = Case.open("case-1", sample_alert(), now=NOW, deadlines=deadlines)
    for action in PATHS[state]:
        case.take_action(
            action, actor="inspector-1", now=NOW, deadlines=deadlines, **complete_arguments(action)
        )
    assert case.state is state
    return case


@pytest.mark.parametrize(("state", "action"), [(s, a) for s in CaseState for a in Action])
def test_every_state_action_pair_is_allowed_exactly_as_documented(
    state: CaseState, action: Action, deadlines: Deadlines
) -> None:
    case = case_in(state, deadlines)
    expected = ALLOWED.get((state, action))
    if expected is None:
        with pytest.raises(InvalidTransition) as refused:
            case.take_action(
                action, actor="u", now=NOW, deadlines=deadlines, **complete_arguments(action)
            )
        assert state.label_zh in str(refused.value) and state.value in str(refused.value)
        assert action.label_zh in str(refused.value) and action.value in str(refused.value)
        assert case.state is state, "a refused action changes nothing"
    else:
        entry = case.take_action(
            action, actor="u", now=NOW, deadlines=deadlines, **complete_arguments(action)
        )
        assert case.state is expected
        assert (entry.from_state, entry.to_state, entry.action) == (state, expected, action)


def test_allowed_actions_lists_the_buttons_of_each_state() -> None:
    for state in CaseState:
        assert set(allowed_actions(state)) == {a for (s, a) in ALLOWED if s is state}


def test_a_finished_transfer_offers_nothing() -> None:
    assert allowed_actions(CaseState.TRANSFERRED) == []


@pytest.mark.parametrize(
    ("action", "missing", "message"),
    [
        (A.DISMISS, {"comment": ""}, "comment"),
        (A.DISMISS, {"resolution": None}, "resolution code"),
        (A.ASSIGN, {"assignee": None}, "assignee"),
        (A.ASSIGN, {"assignee": "  "}, "assignee"),
        (A.TRANSFER, {"comment": "  "}, "comment"),
        (A.REOPEN, {"comment": ""}, "comment"),
        (A.REJECT, {"comment": ""}, "comment"),
    ],
)
def test_an_action_without_what_it_needs_is_refused(
    action: Action, missing: dict[str, object], message: str, deadlines: Deadlines
) -> None:
    source = next(s for (s, a) in ALLOWED if a is action)
    case = case_in(source, deadlines)
    with pytest.raises(InvalidTransition, match=message):
        case.take_action(
            action,
            actor="u",
            now=NOW,
            deadlines=deadlines,
            **{**complete_arguments(action), **missing},
        )
    assert case.state is source


def test_a_transition_records_actor_time_comment_and_attachments(deadlines: Deadlines) -> None:
    case = case_in(S.INVESTIGATING, deadlines)
    report = Attachment("核查报告.pdf", hashlib.sha256(b"report").hexdigest())
    entry = case.take_action(
        A.RECTIFY,
        actor="inspector-7",
        now=NOW,
        deadlines=deadlines,
        comment="责令退还差价",
        attachments=[report],
    )
    assert (entry.actor, entry.at, entry.comment, entry.attachments) == (
        "inspector-7",
        NOW,
        "责令退还差价",
        (report,),
    )
    assert entry.kind is EntryKind.TRANSITIONED
    assert verify_chain(
        case.pending_entries, head_hash=case.chain_head, entry_count=case.history_count
    ).intact


def test_an_attachment_needs_a_real_sha256() -> None:
    with pytest.raises(ValueError, match="sha256"):
        Attachment("photo.jpg", "not-a-hash")


def test_dismissal_keeps_the_resolution_and_reopening_clears_it(deadlines: Deadlines) -> None:
    case = case_in(S.NEW, deadlines)
    case.take_action(
        A.DISMISS,
        actor="u",
        now=NOW,
        deadlines=deadlines,
        comment="供应商已说明",
        resolution=Resolution.FALSE_POSITIVE,
    )
    assert (case.resolution, case.terminal_at, case.deadline_at) == (
        Resolution.FALSE_POSITIVE,
        NOW,
        None,
    )
    case.take_action(A.REOPEN, actor="u", now=NOW, deadlines=deadlines, comment="新证据")
    assert (case.resolution, case.terminal_at) == (None, None)
    assert case.deadline_at is not None


def test_closing_after_review_defaults_to_a_true_positive(deadlines: Deadlines) -> None:
    case = case_in(S.UNDER_REVIEW, deadlines)
    case.take_action(A.APPROVE, actor="reviewer", now=NOW, deadlines=deadlines)
    assert case.resolution is Resolution.TRUE_POSITIVE


def test_review_failing_sends_the_case_back_to_rectification_with_a_new_deadline(
    deadlines: Deadlines,
) -> None:
    case = case_in(S.UNDER_REVIEW, deadlines)
    later = datetime.fromisoformat("2026-10-09T09:00:00+08:00")
    case.take_action(
        A.REJECT, actor="reviewer", now=later, deadlines=deadlines, comment="整改不到位"
    )
    assert case.state is S.RECTIFYING
    assert case.stage_entered_at == later
    assert case.deadline_at == deadlines.for_stage(S.RECTIFYING, case.severity, later)
