"""Silences: matchers, time ranges, validation, and suppressed alerts kept on record."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from services.alerting.bootstrap import AlertingService
from services.alerting.domain.alerts import Subject, SubjectKind
from services.alerting.domain.commands import CreateSilence, ExpireSilence
from services.alerting.domain.silences import (
    Matcher,
    MatchOperator,
    Silence,
    alert_labels,
    matching_silence,
)
from services.alerting.errors import InvalidSilence, SilenceNotFound
from services.alerting.service_layer.alerts import Outcome
from services.alerting.testing import ManualClock, sample_alert

NOW = datetime.fromisoformat("2026-09-28T10:00:00+08:00")
LABELS = alert_labels(sample_alert())


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("rule_id=C6", True),
        ("rule_id=C7", False),
        ("rule_id!=C7", True),
        ("school_id=~5001.*", True),
        ("school_id=~5001", False),  # anchored at both ends, as in Alertmanager
        ("school_id!~5002.*", True),
        ("subject_kind=vendor", True),
        ("subject_id=~91500102MA5U0+1", True),
        ("severity=~red|orange", True),
        (" risk_area = canteen ", True),
    ],
)
def test_matchers(text: str, matches: bool) -> None:
    assert Matcher.parse(text).matches(LABELS) is matches


@pytest.mark.parametrize("text", ["rule_id", "=C6", "owner=me", "Rule_Id=C6"])
def test_a_malformed_matcher_is_refused(text: str) -> None:
    with pytest.raises(InvalidSilence):
        Matcher.parse(text)


def test_a_bad_regular_expression_is_refused_when_the_matcher_is_made() -> None:
    with pytest.raises(InvalidSilence, match="regular expression"):
        Matcher("rule_id", MatchOperator.REGEX, "C(6")


def silence(
    *matchers: str, starts: datetime = NOW, ends: datetime = NOW + timedelta(days=7)
) -> Silence:
    return Silence(
        id="s1",
        matchers=tuple(Matcher.parse(m) for m in matchers),
        starts_at=starts,
        ends_at=ends,
        created_by="inspector",
        comment="供应商资质核查中",
        created_at=NOW,
    )


def test_a_silence_needs_a_positive_matcher_an_author_and_a_comment() -> None:
    with pytest.raises(InvalidSilence, match="="):
        silence("rule_id!=C7")
    with pytest.raises(InvalidSilence, match="author"):
        Silence("s1", (Matcher.parse("rule_id=C6"),), NOW, NOW + timedelta(days=1), " ", "x", NOW)
    with pytest.raises(InvalidSilence, match="end"):
        silence("rule_id=C6", ends=NOW - timedelta(seconds=1))


def test_a_silence_applies_only_between_its_start_and_end() -> None:
    window = silence("rule_id=C6", "school_id=500102001")
    alert = sample_alert()
    assert not window.silences(alert, NOW - timedelta(seconds=1))
    assert window.silences(alert, NOW)
    assert not window.silences(alert, NOW + timedelta(days=7))
    assert not window.silences(sample_alert(school_id="500102002"), NOW), "every matcher must match"


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("school_id=~5001.*", False),
        ("school_id!~5001.*", True),
        ("school_id=", True),
        ("district_id=500102", True),
    ],
)
def test_matchers_on_a_district_level_alert_see_no_school(text: str, matches: bool) -> None:
    assert Matcher.parse(text).matches(alert_labels(sample_alert(school_id=None))) is matches


def test_the_first_matching_active_silence_is_the_one_recorded() -> None:
    others = silence("rule_id=C7")
    catching = silence("subject_kind=vendor")
    assert matching_silence(sample_alert(), [others, catching], NOW) is catching
    assert matching_silence(sample_alert(rule_id="P3"), [others], NOW) is None


def test_a_silenced_alert_opens_no_case_but_is_kept(
    service: AlertingService, clock: ManualClock
) -> None:
    created = service.create_silence(
        CreateSilence(
            matchers=(Matcher.parse("rule_id=C6"), Matcher.parse("subject_id=~91500102.*")),
            starts_at=clock.now,
            ends_at=clock.now + timedelta(days=3),
            created_by="inspector",
            comment="已知问题，整改中",
        )
    )
    silenced, other = (
        sample_alert(),
        sample_alert(subject=Subject(SubjectKind.STAFF, "pn:" + "c" * 32)),
    )
    report = service.ingest([silenced, other])
    assert report.outcomes == {Outcome.SUPPRESSED: 1, Outcome.OPENED_CASE: 1}
    assert silenced.alert_id not in report.case_ids
    with service.uow:
        assert [a.alert_id for a in service.uow.alerts.suppressed_by(created.id)] == [
            silenced.alert_id
        ]
    assert service.ingest([silenced]).outcomes == {Outcome.DUPLICATE: 1}, (
        "a suppressed alert is not lost or redone"
    )


def test_an_expired_silence_lets_alerts_through_again(
    service: AlertingService, clock: ManualClock
) -> None:
    created = service.create_silence(
        CreateSilence(
            (Matcher.parse("rule_id=C6"),),
            clock.now,
            clock.now + timedelta(days=3),
            "inspector",
            "临时",
        )
    )
    clock.advance(hours=1)
    ended = service.expire_silence(ExpireSilence(created.id, actor="lead"))
    assert (ended.ends_at, ended.expired_by) == (clock.now, "lead")
    assert service.ingest([sample_alert()]).outcomes == {Outcome.OPENED_CASE: 1}


def test_a_silence_that_would_already_have_ended_is_refused(
    service: AlertingService, clock: ManualClock
) -> None:
    with pytest.raises(InvalidSilence, match="already"):
        service.create_silence(
            CreateSilence(
                (Matcher.parse("rule_id=C6"),), clock.now - timedelta(days=2), clock.now, "me", "x"
            )
        )


def test_expiring_an_unknown_silence_names_it(service: AlertingService) -> None:
    with pytest.raises(SilenceNotFound, match="nope"):
        service.expire_silence(ExpireSilence("nope", actor="lead"))
