"""Routing reminders to channels, retrying with backoff, and never repeating a delivered channel."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from qinglian.settings import Settings
from services.alerting.adapters.channel_messages import MessageContext
from services.alerting.adapters.channel_notifier import ChannelNotifier, RetryPolicy, SmtpOptions
from services.alerting.adapters.channels_file import ChannelKind, ChannelSpec
from services.alerting.adapters.memory import MemoryUnitOfWork
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.escalation import Audience, Recipient
from services.alerting.domain.notifications import DeliveryStatus, Notification, NotificationStatus
from services.alerting.testing import ManualClock, sample_alert

SCHOOL = Recipient(Audience.SCHOOL, "500102001", "supervisor")
DISTRICT = Recipient(Audience.DISTRICT, "500102", "discipline_team")


class Receiver:
    """An httpx transport answering from a script of status codes, recording each request."""

    def __init__(self, *statuses: int, robot_answer: dict[str, object] | None = None) -> None:
        self.statuses = list(statuses)
        self.robot_answer = robot_answer or {"errcode": 0, "errmsg": "ok"}
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if self.statuses else 200
        return httpx.Response(status, json=self.robot_answer)

    def hosts(self) -> list[str]:
        return [request.url.host for request in self.requests]


def notifier(
    receiver: Receiver, *channels: ChannelSpec, sleeps: list[float] | None = None
) -> ChannelNotifier:
    return ChannelNotifier(
        list(channels),
        context=MessageContext(ZoneInfo("Asia/Shanghai")),
        smtp=SmtpOptions("127.0.0.1", 1, "qinglian@localhost"),
        clock=lambda: datetime.fromisoformat("2026-10-08T09:00:00+08:00"),
        http=httpx.Client(transport=httpx.MockTransport(receiver)),
        retry=RetryPolicy(attempts=3, initial_wait_seconds=1.0),
        sleep=(sleeps if sleeps is not None else []).append,
    )


def reminder(recipient: Recipient = SCHOOL) -> Notification:
    return Notification(
        key="case-1:1:supervisor:0",
        case_id="case-1",
        recipient=recipient,
        created_at=datetime.fromisoformat("2026-10-08T09:00:00+08:00"),
        payload={"title_zh": "【督办提醒】", "title_en": "Overdue", "rule_id": "C6"},
    )


def webhook(name: str, **options: object) -> ChannelSpec:
    return ChannelSpec(name, ChannelKind.WEBHOOK, url=f"http://{name}.test/hook", **options)  # type: ignore[arg-type]


def test_each_reminder_goes_to_the_channels_that_accept_its_recipient() -> None:
    receiver = Receiver()
    sender = notifier(
        receiver,
        webhook("school", audience=Audience.SCHOOL),
        webhook("district", audience=Audience.DISTRICT),
        webhook("other-school", units=frozenset({"500102002"})),
        webhook("everyone"),
    )
    attempts = sender.send(reminder(SCHOOL), delivered=set())
    assert receiver.hosts() == ["school.test", "everyone.test"]
    assert [(a.channel, a.status) for a in attempts] == [
        ("school", DeliveryStatus.SENT),
        ("everyone", DeliveryStatus.SENT),
    ]
    assert json.loads(receiver.requests[0].content)["key"] == "case-1:1:supervisor:0"


def test_a_failing_channel_is_retried_with_exponential_backoff() -> None:
    receiver, sleeps = Receiver(503, 502), []
    attempts = notifier(receiver, webhook("hook"), sleeps=sleeps).send(reminder(), delivered=set())
    assert [(a.attempt, a.status) for a in attempts] == [
        (1, DeliveryStatus.FAILED),
        (2, DeliveryStatus.FAILED),
        (3, DeliveryStatus.SENT),
    ]
    assert attempts[0].error is not None and attempts[0].error.startswith("HTTP 503")
    assert sleeps == [1.0, 2.0]


def test_a_robot_refusal_is_a_failure_even_with_http_200() -> None:
    receiver = Receiver(robot_answer={"errcode": 310000, "errmsg": "sign not match"})
    spec = ChannelSpec(
        "ding", ChannelKind.DINGTALK, url="http://ding.test/robot/send?access_token=t"
    )
    attempts = notifier(receiver, spec).send(reminder(), delivered=set())
    assert [a.status for a in attempts] == [DeliveryStatus.FAILED] * 3
    assert attempts[-1].error == "errcode 310000: sign not match"
    assert attempts[-1].target == "http://ding.test/robot/send", (
        "the access token stays out of the log"
    )


def test_channels_that_already_delivered_are_skipped() -> None:
    receiver = Receiver()
    attempts = notifier(receiver, webhook("a"), webhook("b")).send(reminder(), delivered={"a"})
    assert receiver.hosts() == ["b.test"] and [a.channel for a in attempts] == ["b"]


def test_a_reminder_no_channel_accepts_fails_visibly() -> None:
    (attempt,) = notifier(Receiver(), webhook("district", audience=Audience.DISTRICT)).send(
        reminder(SCHOOL), delivered=set()
    )
    assert attempt.status is DeliveryStatus.FAILED and "no channel accepts" in (attempt.error or "")


@pytest.fixture
def overdue(settings: Settings, clock: ManualClock) -> tuple[MemoryUnitOfWork, str]:
    uow = MemoryUnitOfWork()
    service = bootstrap(settings, uow=uow, clock=clock)
    (case_id,) = service.ingest([sample_alert()]).case_ids.values()
    clock.now = datetime.fromisoformat("2026-10-08T09:00:00+08:00")
    service.escalate()
    return uow, case_id


def test_a_retry_of_the_outbox_row_only_resends_where_it_failed(
    settings: Settings, clock: ManualClock, overdue: tuple[MemoryUnitOfWork, str]
) -> None:
    uow, case_id = overdue
    receiver = Receiver(200, 500, 500, 500)
    service: AlertingService = bootstrap(
        settings, uow=uow, clock=clock, notifier=notifier(receiver, webhook("a"), webhook("b"))
    )
    (first,) = service.dispatch_notifications()
    assert not first.delivered and first.notification.status is NotificationStatus.PENDING
    (second,) = service.dispatch_notifications()
    assert second.delivered and second.notification.status is NotificationStatus.SENT
    assert receiver.hosts() == ["a.test", "b.test", "b.test", "b.test", "b.test"]
    with uow:
        log = uow.deliveries.for_case(case_id)
    assert [(a.channel, a.attempt, a.status.value) for a in log] == [
        ("a", 1, "sent"),
        ("b", 1, "failed"),
        ("b", 2, "failed"),
        ("b", 3, "failed"),
        ("b", 1, "sent"),
    ]
    sample = service.metrics.registry.get_sample_value
    assert (
        sample("qinglian_alerting_notifications_total", {"channel": "webhook", "result": "sent"})
        == 2
    )
    assert (
        sample("qinglian_alerting_notifications_total", {"channel": "webhook", "result": "failed"})
        == 1
    )
