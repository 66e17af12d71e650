"""The service's Prometheus metrics move with what it does."""

from __future__ import annotations

from services.alerting.bootstrap import AlertingService
from services.alerting.domain.commands import TakeAction
from services.alerting.domain.workflow import Action
from services.alerting.testing import ManualClock, sample_alert


def sample(service: AlertingService, name: str, **labels: str) -> float | None:
    return service.metrics.registry.get_sample_value(name, labels)


def test_consumed_alerts_are_counted_by_result(service: AlertingService) -> None:
    alert = sample_alert()
    service.ingest([alert, sample_alert(), alert])
    assert sample(service, "qinglian_alerting_alerts_consumed_total", result="opened_case") == 1
    assert sample(service, "qinglian_alerting_alerts_consumed_total", result="added_to_case") == 1
    assert sample(service, "qinglian_alerting_alerts_consumed_total", result="duplicate") == 1


def test_case_gauges_count_every_state_and_severity_and_the_overdue(
    service: AlertingService, clock: ManualClock
) -> None:
    service.ingest([sample_alert(), sample_alert(rule_id="C7")])
    service.refresh_case_gauges()
    assert sample(service, "qinglian_alerting_cases", state="new", severity="orange") == 2
    assert sample(service, "qinglian_alerting_cases", state="closed", severity="red") == 0
    assert sample(service, "qinglian_alerting_cases_overdue") == 0
    clock.advance(days=3)
    service.refresh_case_gauges()
    assert sample(service, "qinglian_alerting_cases_overdue") == 2


def test_time_to_close_is_observed_when_a_case_is_closed(
    service: AlertingService, clock: ManualClock
) -> None:
    (case_id,) = service.ingest([sample_alert()]).case_ids.values()
    for action in (Action.ASSIGN, Action.INVESTIGATE, Action.RECTIFY, Action.SUBMIT_FOR_REVIEW):
        service.take_action(TakeAction(case_id, action, actor="u", comment="ok", assignee="a1"))
    clock.advance(days=3)
    service.take_action(TakeAction(case_id, Action.APPROVE, actor="reviewer"))
    assert sample(service, "qinglian_alerting_time_to_close_seconds_count") == 1
    assert sample(service, "qinglian_alerting_time_to_close_seconds_sum") == 3 * 24 * 3600
