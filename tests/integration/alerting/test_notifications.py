"""Reminders delivered for real: a local HTTP receiver (webhook, DingTalk with its signature checked,
WeCom) and a local SMTP server (aiosmtpd), with retries and the delivery log on every storage backend."""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from qinglian.settings import Settings
from qinglian.stack.processes import free_port
from services.alerting.adapters.channel_messages import MessageContext
from services.alerting.adapters.channel_notifier import ChannelNotifier, RetryPolicy, SmtpOptions
from services.alerting.adapters.channels_file import ChannelKind, ChannelSpec
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.notifications import DeliveryStatus
from services.alerting.testing import ManualClock, sample_alert

pytestmark = pytest.mark.integration

DINGTALK_SECRET = "SEC0123456789abcdef"


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: dict[str, Any]


@dataclass
class HttpReceiver:
    """Robot and webhook endpoints on a free local port; /dingtalk checks DingTalk's 加签."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    fail_first: set[str] = field(default_factory=set)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if path in self.fail_first:
            self.fail_first.discard(path)
            return 500, {"error": "try again"}
        if path == "/dingtalk":
            string_to_sign = f"{query.get('timestamp')}\n{DINGTALK_SECRET}".encode()
            expected = base64.b64encode(
                hmac.new(DINGTALK_SECRET.encode(), string_to_sign, hashlib.sha256).digest()
            ).decode()
            if query.get("sign") != expected:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
        return 200, {"errcode": 0, "errmsg": "ok"}


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    state = HttpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(Received(parts.path, query, body))
            status, answer = state.answer(parts.path, query)
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def channels_notifier(
    receiver: HttpReceiver, smtp_port: int, clock: ManualClock, *, dingtalk_secret: str
) -> ChannelNotifier:
    return ChannelNotifier(
        [
            ChannelSpec(
                "ding",
                ChannelKind.DINGTALK,
                url=f"{receiver.url}/dingtalk?access_token=t1",
                secret=dingtalk_secret,
            ),
            ChannelSpec("wecom", ChannelKind.WECOM, url=f"{receiver.url}/wecom?key=k1"),
            ChannelSpec("hook", ChannelKind.WEBHOOK, url=f"{receiver.url}/hook"),
            ChannelSpec("mail", ChannelKind.EMAIL, to=("jiwei@example.cn", "xiaozhang@example.cn")),
        ],
        context=MessageContext(ZoneInfo("Asia/Shanghai"), "http://console.example"),
        smtp=SmtpOptions("127.0.0.1", smtp_port, "qinglian@example.cn"),
        clock=clock,
        retry=RetryPolicy(attempts=3, initial_wait_seconds=0.01),
    )


def overdue_reminder(service: AlertingService, clock: ManualClock) -> str:
    (case_id,) = service.ingest([sample_alert()]).case_ids.values()
    clock.now = datetime.fromisoformat("2026-10-08T09:00:00+08:00")
    assert len(service.escalate()) == 1
    return case_id


def test_a_reminder_reaches_every_channel_once_with_retries_logged(
    settings: Settings,
    service: AlertingService,
    clock: ManualClock,
    receiver: HttpReceiver,
    smtp: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtp
    case_id = overdue_reminder(service, clock)
    receiver.fail_first.add("/hook")
    sender = bootstrap(
        settings,
        uow=service.uow,
        clock=clock,
        notifier=channels_notifier(receiver, port, clock, dingtalk_secret=DINGTALK_SECRET),
    )
    (delivery,) = sender.dispatch_notifications()
    assert delivery.delivered
    assert sender.dispatch_notifications() == [], "sent once"

    by_path = {r.path: r for r in receiver.requests}
    ding = by_path["/dingtalk"]
    assert ding.query["access_token"] == "t1" and ding.query["timestamp"] == str(
        int(clock.now.timestamp() * 1000)
    )
    assert ding.body["msgtype"] == "markdown" and ding.body["markdown"]["title"].startswith(
        "【督办"
    )
    assert by_path["/wecom"].body["markdown"]["content"].startswith("#### 【督办")
    assert by_path["/hook"].body["case_id"] == case_id
    assert [r.path for r in receiver.requests].count("/hook") == 2, "one failure, one retry"

    ((recipients, message),) = mailbox.messages
    assert recipients == ["jiwei@example.cn", "xiaozhang@example.cn"]
    assert message["Subject"].startswith("【督办") and "橙色预警案件逾期" in message["Subject"]
    assert f"http://console.example/cases/{case_id}" in message.get_content()

    with service.uow:
        log = service.uow.deliveries.for_case(case_id)
    assert [(a.channel, a.attempt, a.status) for a in log] == [
        ("ding", 1, DeliveryStatus.SENT),
        ("wecom", 1, DeliveryStatus.SENT),
        ("hook", 1, DeliveryStatus.FAILED),
        ("hook", 2, DeliveryStatus.SENT),
        ("mail", 1, DeliveryStatus.SENT),
    ]
    assert log[2].error is not None and log[2].error.startswith("HTTP 500")
    assert log[0].target == f"{receiver.url}/dingtalk"


def test_a_wrong_dingtalk_secret_is_refused_and_retried_on_the_next_pass(
    settings: Settings,
    service: AlertingService,
    clock: ManualClock,
    receiver: HttpReceiver,
    smtp: tuple[Mailbox, int],
) -> None:
    mailbox, port = smtp
    case_id = overdue_reminder(service, clock)
    wrong = bootstrap(
        settings,
        uow=service.uow,
        clock=clock,
        notifier=channels_notifier(receiver, port, clock, dingtalk_secret="SECwrong"),
    )
    (delivery,) = wrong.dispatch_notifications()
    assert not delivery.delivered
    assert delivery.notification.last_error == "ding: errcode 310000: sign not match"
    right = bootstrap(
        settings,
        uow=service.uow,
        clock=clock,
        notifier=channels_notifier(receiver, port, clock, dingtalk_secret=DINGTALK_SECRET),
    )
    (retried,) = right.dispatch_notifications()
    assert retried.delivered
    assert [r.path for r in receiver.requests].count("/wecom") == 1, (
        "delivered channels are not repeated"
    )
    assert len(mailbox.messages) == 1
    with service.uow:
        statuses = [(a.channel, a.status.value) for a in service.uow.deliveries.for_case(case_id)]
    assert statuses.count(("ding", "failed")) == 3 and statuses[-1] == ("ding", "sent")
