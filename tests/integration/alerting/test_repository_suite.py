"""One repository and unit-of-work suite, run in memory, on SQLite and on PostgreSQL.

What goes in comes back equal, hash chains survive the round trip, uncommitted
work disappears, and unique keys hold even when two writers race.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from services.alerting.adapters.memory import UniqueKeyViolation
from services.alerting.bootstrap import AlertingService
from services.alerting.domain.alerts import RiskArea, Severity, Subject, SubjectKind
from services.alerting.domain.commands import CreateSilence, TakeAction
from services.alerting.domain.escalation import Audience
from services.alerting.domain.history import Attachment, EntryKind, verify_chain
from services.alerting.domain.notifications import NotificationStatus
from services.alerting.domain.resolutions import rule_outcomes
from services.alerting.domain.silences import Matcher
from services.alerting.domain.workflow import Action, CaseState, Resolution
from services.alerting.service_layer.alerts import Outcome
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork, InboxQuery, Scope
from services.alerting.testing import ManualClock, sample_alert

from .conftest import PRINCIPAL

pytestmark = pytest.mark.integration

# A unique key broken: by the database at commit, or by the in-memory store at once.
CONSTRAINT_ERRORS = (IntegrityError, UniqueKeyViolation)


def open_case(service: AlertingService, **alert: object) -> str:
    first = sample_alert(**alert)
    return service.ingest([first]).case_ids[first.alert_id]


def test_a_case_comes_back_as_it_was_stored(service: AlertingService) -> None:
    first, second = sample_alert(), sample_alert(severity=Severity.RED)
    report = service.ingest([first, second])
    case = service.case(report.case_ids[first.alert_id])
    assert (case.state, case.severity, case.alert_count, case.history_count) == (
        CaseState.NEW,
        Severity.RED,
        2,
        2,
    )
    assert case.key.subject == Subject(SubjectKind.VENDOR, "91500102MA5U000001")
    assert case.opened_at == service.clock() and case.opened_at.utcoffset() is not None
    assert case.deadline_at is not None and case.risk_area is RiskArea.CANTEEN
    assert service.evidence(case.id) == [first, second]


def test_alerts_come_back_as_stored_payloads_in_case_order(
    service: AlertingService, any_uow: AbstractUnitOfWork
) -> None:
    later = sample_alert(details={"金额": "12.50"})
    earlier = sample_alert(event_time=later.event_time - timedelta(hours=1))
    case_id = service.ingest([later, earlier]).case_ids[later.alert_id]
    with any_uow:
        payloads = any_uow.alerts.payloads_for_case(case_id)
    assert [p["alert_id"] for p in payloads] == [earlier.alert_id, later.alert_id]
    assert payloads[1]["details"] == {"金额": "12.50"}
    assert payloads[1]["event_time"] == later.event_time.isoformat()


def test_the_history_chain_survives_the_round_trip(service: AlertingService) -> None:
    case_id = open_case(service)
    report = Attachment("整改报告.pdf", hashlib.sha256("报告".encode()).hexdigest())
    service.take_action(
        TakeAction(case_id, Action.ASSIGN, actor="lead", assignee="a1", comment="请核查")
    )
    service.take_action(TakeAction(case_id, Action.INVESTIGATE, actor="a1", attachments=(report,)))
    case = service.case(case_id)
    history = service.history(case_id)
    assert [e.kind for e in history] == [
        EntryKind.OPENED,
        EntryKind.TRANSITIONED,
        EntryKind.TRANSITIONED,
    ]
    assert history[-1].attachments == (report,) and history[1].comment == "请核查"
    assert verify_chain(history, head_hash=case.chain_head, entry_count=case.history_count).intact
    assert service.verify_histories().intact


def test_work_not_committed_is_not_stored(
    any_uow: AbstractUnitOfWork, service: AlertingService
) -> None:
    case_id = open_case(service)
    with any_uow:
        case = any_uow.cases.get(case_id)
        case.take_action(
            Action.ASSIGN,
            actor="u",
            now=service.clock(),
            deadlines=service.deadlines,
            assignee="a1",
        )
    assert service.case(case_id).state is CaseState.NEW
    assert len(service.history(case_id)) == 1


def test_a_refused_action_leaves_the_case_untouched(service: AlertingService) -> None:
    case_id = open_case(service)
    with pytest.raises(Exception, match="cannot take action 'approve'"):
        service.take_action(TakeAction(case_id, Action.APPROVE, actor="u"))
    assert service.case(case_id).history_count == 1


def test_two_writers_cannot_both_append_to_a_case(
    any_uow: AbstractUnitOfWork, service: AlertingService
) -> None:
    case_id = open_case(service)
    service.take_action(TakeAction(case_id, Action.ASSIGN, actor="lead", assignee="a1"))
    # The second writer loaded the case before the first committed: its entry has the same sequence number.
    stale = type(any_uow)(**_same_storage(any_uow))
    with stale:
        late = stale.cases.get(case_id)
        with any_uow:
            fresh = any_uow.cases.get(case_id)
            fresh.take_action(
                Action.INVESTIGATE, actor="a1", now=service.clock(), deadlines=service.deadlines
            )
            any_uow.commit()
        late.take_action(
            Action.TRANSFER,
            actor="lead",
            now=service.clock(),
            deadlines=service.deadlines,
            comment="移送",
        )
        with pytest.raises(CONSTRAINT_ERRORS):
            stale.commit()
    assert service.case(case_id).state is CaseState.INVESTIGATING
    assert service.verify_histories().intact


def _same_storage(uow: AbstractUnitOfWork) -> dict[str, object]:
    """Constructor arguments for a second unit of work on the same storage."""
    if hasattr(uow, "session_factory"):
        return {"session_factory": uow.session_factory}
    return {"state": uow.state}


def test_an_alert_id_is_stored_once_even_by_racing_consumers(
    any_uow: AbstractUnitOfWork, service: AlertingService
) -> None:
    alert = sample_alert()
    other = type(any_uow)(**_same_storage(any_uow))
    with other:
        assert other.alerts.known_ids({alert.alert_id}) == set()
        service.ingest([alert])
        other.silences.active(service.clock())
        other.alerts.add_suppressed(
            alert, silence_id=_a_silence(service), received_at=service.clock()
        )
        with pytest.raises(CONSTRAINT_ERRORS):
            other.commit()
    assert service.ingest([alert]).outcomes == {Outcome.DUPLICATE: 1}


def _a_silence(service: AlertingService) -> str:
    now = service.clock()
    command = CreateSilence(
        (Matcher.parse("rule_id=ZZ"),), now, now + timedelta(days=1), "ops", "test"
    )
    return service.create_silence(command).id


def test_silences_are_stored_found_when_active_and_record_what_they_caught(
    any_uow: AbstractUnitOfWork, service: AlertingService, clock: ManualClock
) -> None:
    now = clock.now
    matchers = (Matcher.parse("rule_id=C6"), Matcher.parse("school_id=~5001.*"))
    silence = service.create_silence(
        CreateSilence(matchers, now, now + timedelta(hours=2), "ops", "维护中")
    )
    later = service.create_silence(
        CreateSilence(
            (Matcher.parse("rule_id=P3"),),
            now + timedelta(hours=1),
            now + timedelta(hours=3),
            "ops",
            "x",
        )
    )
    with any_uow:
        assert [s.id for s in any_uow.silences.active(now)] == [silence.id]
        assert any_uow.silences.get(silence.id) == silence
    assert {s.id for s in service.silences()} == {silence.id, later.id}
    caught = sample_alert()
    assert service.ingest([caught]).outcomes == {Outcome.SUPPRESSED: 1}
    with any_uow:
        assert any_uow.alerts.suppressed_by(silence.id) == [caught]


def test_latest_case_per_key_including_schoolless_alerts(
    service: AlertingService, any_uow: AbstractUnitOfWork
) -> None:
    with_school = sample_alert()
    without_school = sample_alert(school_id=None, rule_id="V10")
    report = service.ingest([with_school, without_school, sample_alert(rule_id="C7")])
    with any_uow:
        latest = any_uow.cases.latest_for_keys({with_school.case_key, without_school.case_key})
    assert {key: case.id for key, case in latest.items()} == {
        with_school.case_key: report.case_ids[with_school.alert_id],
        without_school.case_key: report.case_ids[without_school.alert_id],
    }


def test_the_inbox_filters_by_scope_and_orders_by_severity_then_deadline(
    service: AlertingService, clock: ManualClock
) -> None:
    clock.advance(days=-1)  # Sunday 27 September
    red_sooner = open_case(service, severity=Severity.RED, rule_id="C3")  # due 29 Sept
    principal = open_case(
        service, subject=Subject(SubjectKind.STAFF, PRINCIPAL), rule_id="F11"
    )  # due 30 Sept
    clock.advance(days=1)  # Monday 28 September
    red_later = open_case(service, severity=Severity.RED, rule_id="C2")  # due 30 Sept
    procurement = open_case(
        service, rule_id="P7", risk_area=RiskArea.PROCUREMENT
    )  # orange, due 1 Oct
    yellow = open_case(
        service, severity=Severity.YELLOW, rule_id="C1"
    )  # due 9 Oct, after the holiday
    other_district = open_case(service, rule_id="C5", school_id="500103001", district_id="500103")
    clock.advance(days=1)  # Tuesday 29 September
    other_school = open_case(
        service, severity=Severity.RED, rule_id="C4", school_id="500102002"
    )  # due 1 Oct

    def inbox(**query: object) -> list[str]:
        return [case.id for case in service.inbox(InboxQuery(**query))]

    district = Scope(district_id="500102")
    assert inbox(scope=district) == [
        red_sooner,
        red_later,
        other_school,
        principal,
        procurement,
        yellow,
    ]
    assert inbox(scope=Scope(district_id="500102", school_id="500102001")) == [
        red_sooner,
        red_later,
        procurement,
        yellow,
    ], "a school never sees the case about its principal, nor other schools' cases"
    reds = frozenset({Severity.RED})
    assert inbox(scope=district, severities=reds, school_id="500102001") == [red_sooner, red_later]
    assert inbox(scope=district, risk_areas=frozenset({RiskArea.PROCUREMENT})) == [procurement]
    assert inbox(scope=district, limit=2, offset=1) == [red_later, other_school]
    assert other_district in inbox() and other_district not in inbox(scope=district)
    service.take_action(TakeAction(yellow, Action.ASSIGN, actor="lead", assignee="a1"))
    assert inbox(scope=district, states=frozenset({CaseState.ASSIGNED})) == [yellow]
    overdue_now = clock.advance(days=2)
    assert inbox(scope=district, overdue_at=overdue_now) == [
        red_sooner,
        red_later,
        other_school,
        principal,
        procurement,
    ]


def test_overdue_cases_come_in_pages_by_deadline(
    any_uow: AbstractUnitOfWork, service: AlertingService
) -> None:
    ids = [open_case(service, rule_id=f"C{n}") for n in range(5)]
    now = service.clock() + timedelta(days=10)
    seen: list[str] = []
    after = None
    with any_uow:
        while page := any_uow.cases.overdue(now, after=after, limit=2):
            seen += [case.id for case in page]
            after = (page[-1].deadline_at, page[-1].id)
        assert any_uow.cases.count_overdue(now) == 5
    assert sorted(seen) == sorted(ids)


def test_escalation_log_and_outbox_are_written_together_and_only_once(
    any_uow: AbstractUnitOfWork, service: AlertingService, clock: ManualClock
) -> None:
    case_id = open_case(service)
    clock.now = clock.now.replace(month=10, day=8)
    (step,) = service.escalate()
    assert service.escalate() == []
    with any_uow:
        assert any_uow.escalations.sent_keys([case_id]) == {case_id: {step.key}}
        (notification,) = any_uow.escalations.pending_notifications(10)
    assert (notification.key, notification.recipient.audience) == (step.key, Audience.DISTRICT)
    assert notification.payload["case_id"] == case_id
    (delivery,) = service.dispatch_notifications()
    assert delivery.delivered
    with any_uow:
        assert any_uow.escalations.pending_notifications(10) == []
    with any_uow, pytest.raises(CONSTRAINT_ERRORS):  # at once in memory, at commit in a database
        case = any_uow.cases.get(case_id)
        case.record_escalation(now=clock.now, details={"key": step.key})
        any_uow.escalations.add(step, notification, clock.now)
        any_uow.commit()
    assert delivery.notification.status is NotificationStatus.SENT


def test_counts_and_rule_outcomes(service: AlertingService) -> None:
    closed = open_case(service, rule_id="C1")
    dismissed = open_case(
        service, rule_id="C1", subject=Subject(SubjectKind.VENDOR, "91500102MA5U000002")
    )
    open_case(service, rule_id="C2", severity=Severity.RED)
    for action in (
        Action.ASSIGN,
        Action.INVESTIGATE,
        Action.RECTIFY,
        Action.SUBMIT_FOR_REVIEW,
        Action.APPROVE,
    ):
        service.take_action(TakeAction(closed, action, actor="u", assignee="a1", comment="ok"))
    service.take_action(
        TakeAction(
            dismissed,
            Action.DISMISS,
            actor="u",
            comment="误报",
            resolution=Resolution.FALSE_POSITIVE,
        )
    )
    counts = service.refresh_case_gauges()
    assert counts.by_state_and_severity == {
        (CaseState.CLOSED, Severity.ORANGE): 1,
        (CaseState.DISMISSED, Severity.ORANGE): 1,
        (CaseState.NEW, Severity.RED): 1,
    }
    (c1,) = service.outcomes_by_rule()
    assert c1.rule_id == "C1" and c1.false_positive_rate == 0.5
    assert rule_outcomes([("C1", Resolution.DUPLICATE, 2)])[0].false_positive_rate is None


def test_chain_heads_page_through_every_case(
    any_uow: AbstractUnitOfWork, service: AlertingService
) -> None:
    ids = sorted(open_case(service, rule_id=f"C{n}") for n in range(3))
    with any_uow:
        first = any_uow.cases.chain_heads(after=None, limit=2)
        rest = any_uow.cases.chain_heads(after=first[-1].case_id, limit=2)
        histories = any_uow.cases.histories(ids)
    assert [head.case_id for head in first + rest] == ids
    assert all(head.entry_count == 1 and len(histories[head.case_id]) == 1 for head in first + rest)
