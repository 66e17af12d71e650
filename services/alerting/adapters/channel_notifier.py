"""The notifier over configured channels: route by recipient, deliver with retries, report every attempt.

Each channel that accepts the reminder's recipient is tried up to
``RetryPolicy.attempts`` times with exponential backoff (tenacity); channels that
already delivered this notification (the delivery log says so) are skipped, so a
retry after one channel failed does not repeat the message on the others. A
reminder that no channel accepts is a failed attempt, not a silent drop: the
failed-notifications alert then points at the gap in the channels file.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime

import httpx
import structlog
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from services.alerting.adapters.channel_messages import (
    MessageContext,
    dingtalk_body,
    dingtalk_signed_url,
    email_message,
    webhook_body,
    wecom_body,
)
from services.alerting.adapters.channels_file import ChannelKind, ChannelSpec
from services.alerting.domain.notifications import DeliveryAttempt, DeliveryStatus, Notification
from services.alerting.errors import NotificationFailed

log = structlog.get_logger(__name__)

NO_CHANNEL = "(none)"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    initial_wait_seconds: float = 1.0
    max_wait_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class SmtpOptions:
    host: str
    port: int
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 10.0


class ChannelNotifier:
    channel = "channels"

    def __init__(
        self,
        channels: list[ChannelSpec],
        *,
        context: MessageContext,
        smtp: SmtpOptions,
        clock: Callable[[], datetime],
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._channels = channels
        self._context = context
        self._smtp = smtp
        self._clock = clock
        self._http = http or httpx.Client(timeout=10.0)
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    def close(self) -> None:
        self._http.close()

    def send(
        self, notification: Notification, *, delivered: AbstractSet[str]
    ) -> list[DeliveryAttempt]:
        routed = [spec for spec in self._channels if spec.accepts(notification.recipient)]
        if not routed:
            recipient = notification.recipient
            return [
                self._attempt(
                    notification,
                    None,
                    1,
                    f"no channel accepts {recipient.audience.value} {recipient.unit_id} "
                    f"{recipient.role}; add one to the channels file",
                )
            ]
        attempts: list[DeliveryAttempt] = []
        for spec in routed:
            if spec.name not in delivered:
                attempts += self._deliver_with_retries(spec, notification)
        return attempts

    def _deliver_with_retries(
        self, spec: ChannelSpec, notification: Notification
    ) -> list[DeliveryAttempt]:
        attempts: list[DeliveryAttempt] = []

        def once() -> None:
            number = len(attempts) + 1
            try:
                self._deliver(spec, notification)
            except NotificationFailed as exc:
                attempts.append(self._attempt(notification, spec, number, str(exc)))
                log.warning(
                    "notification attempt failed",
                    channel=spec.name,
                    key=notification.key,
                    attempt=number,
                    error=str(exc),
                )
                raise
            attempts.append(self._attempt(notification, spec, number))

        retrying = Retrying(
            stop=stop_after_attempt(self._retry.attempts),
            wait=wait_exponential(
                multiplier=self._retry.initial_wait_seconds, max=self._retry.max_wait_seconds
            ),
            retry=retry_if_exception_type(NotificationFailed),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            retrying(once)
        except NotificationFailed:
            pass  # every failed try is in ``attempts``; the outbox row is retried on the next pass
        return attempts

    def _deliver(self, spec: ChannelSpec, notification: Notification) -> None:
        match spec.kind:
            case ChannelKind.WEBHOOK:
                self._post(spec.url or "", webhook_body(notification, self._context))
            case ChannelKind.DINGTALK:
                url = spec.url or ""
                if spec.secret:
                    timestamp_ms = int(self._clock().timestamp() * 1000)
                    url = dingtalk_signed_url(url, spec.secret, timestamp_ms)
                self._post_robot(url, dingtalk_body(notification, self._context))
            case ChannelKind.WECOM:
                self._post_robot(spec.url or "", wecom_body(notification, self._context))
            case ChannelKind.EMAIL:
                self._mail(spec, notification)

    def _post(self, url: str, body: dict[str, object]) -> httpx.Response:
        try:
            response = self._http.post(url, json=body)
        except httpx.HTTPError as exc:
            raise NotificationFailed(f"{exc.__class__.__name__}: {exc}") from exc
        if response.status_code >= 300:
            raise NotificationFailed(f"HTTP {response.status_code}: {response.text[:200]}")
        return response

    def _post_robot(self, url: str, body: dict[str, object]) -> None:
        """DingTalk and WeCom answer 200 even when they refuse; the refusal is a non-zero errcode."""
        response = self._post(url, body)
        try:
            answer = response.json()
        except ValueError as exc:
            raise NotificationFailed(f"robot answered non-JSON: {response.text[:200]}") from exc
        if answer.get("errcode", 0) != 0:
            raise NotificationFailed(f"errcode {answer.get('errcode')}: {answer.get('errmsg')}")

    def _mail(self, spec: ChannelSpec, notification: Notification) -> None:
        smtp = self._smtp
        message = email_message(
            notification, self._context, sender=smtp.sender, recipients=list(spec.to)
        )
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds) as client:
                if smtp.starttls:
                    client.starttls()
                if smtp.username:
                    client.login(smtp.username, smtp.password or "")
                client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise NotificationFailed(f"SMTP {smtp.host}:{smtp.port}: {exc}") from exc

    def _attempt(
        self,
        notification: Notification,
        spec: ChannelSpec | None,
        number: int,
        error: str | None = None,
    ) -> DeliveryAttempt:
        """One attempt on ``spec``; ``None`` stands for "no channel accepted the recipient"."""
        return DeliveryAttempt(
            notification_key=notification.key,
            case_id=notification.case_id,
            channel=NO_CHANNEL if spec is None else spec.name,
            kind="none" if spec is None else spec.kind.value,
            target="" if spec is None else spec.target,
            attempt=number,
            status=DeliveryStatus.SENT if error is None else DeliveryStatus.FAILED,
            at=self._clock(),
            error=error,
        )
