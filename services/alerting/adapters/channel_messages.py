"""Notifications in each channel's documented wire format; pure functions, tested byte for byte.

- Generic webhook: the notification as one JSON object.
- DingTalk group robot (钉钉自定义机器人): ``{"msgtype": "markdown", "markdown": {"title", "text"}}``
  posted to the robot URL; with 加签 the URL gains ``&timestamp=<ms>&sign=<s>`` where
  ``s = urlencode(base64(HMAC-SHA256(key=secret, msg="<ms>\\n<secret>")))``.
- WeCom group robot (企业微信群机器人): ``{"msgtype": "markdown", "markdown": {"content"}}``
  posted to ``…/cgi-bin/webhook/send?key=<key>``; content is at most 4096 bytes.
- Email: a zh-CN subject, a Chinese body followed by the English one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, tzinfo
from email.message import EmailMessage
from typing import Any

from services.alerting.domain.notifications import Notification

WECOM_MAX_CONTENT_BYTES = 4096
_AUDIENCE_ZH = {"school": "学校", "district": "区县"}


@dataclass(frozen=True, slots=True)
class MessageContext:
    """What every message needs besides the notification: the local time zone and the console address."""

    timezone: tzinfo
    console_url: str | None = None

    def case_link(self, case_id: str) -> str | None:
        if self.console_url is None:
            return None
        return f"{self.console_url.rstrip('/')}/cases/{case_id}"


def _local(iso_time: str | None, context: MessageContext) -> str:
    if not iso_time:
        return "—"
    return datetime.fromisoformat(iso_time).astimezone(context.timezone).strftime("%Y-%m-%d %H:%M")


def _facts(notification: Notification, context: MessageContext) -> list[tuple[str, str]]:
    payload = notification.payload
    recipient = notification.recipient
    unit = recipient.unit_id or "全部 / all"
    return [
        ("案件 / Case", notification.case_id),
        ("学校 / School", payload.get("school_id") or "区县级 / district-level"),
        ("区县 / District", payload.get("district_id") or "—"),
        ("规则 / Rule", payload.get("rule_id", "—")),
        ("状态 / State", f"{payload.get('state_zh', '')} {payload.get('state', '')}".strip()),
        ("期限 / Deadline", _local(payload.get("deadline_at"), context)),
        (
            "督办对象 / To",
            f"{_AUDIENCE_ZH.get(recipient.audience.value, '')} {unit} · {recipient.role}",
        ),
    ]


def markdown_text(notification: Notification, context: MessageContext) -> str:
    """The message body in Markdown (the subset both DingTalk and WeCom render)."""
    payload = notification.payload
    lines = [f"#### {payload['title_zh']}", ""]
    lines += [f"- {label}：{value}" for label, value in _facts(notification, context)]
    link = context.case_link(notification.case_id)
    if link:
        lines += ["", f"[在控制台处置 / Open in the console]({link})"]
    lines += ["", f"> {payload['title_en']}"]
    return "\n".join(lines)


def webhook_body(notification: Notification, context: MessageContext) -> dict[str, Any]:
    recipient = notification.recipient
    return {
        "key": notification.key,
        "case_id": notification.case_id,
        "recipient": {
            "audience": recipient.audience.value,
            "unit_id": recipient.unit_id,
            "role": recipient.role,
        },
        "link": context.case_link(notification.case_id),
        **notification.payload,
    }


def dingtalk_body(notification: Notification, context: MessageContext) -> dict[str, Any]:
    return {
        "msgtype": "markdown",
        "markdown": {
            "title": notification.payload["title_zh"],
            "text": markdown_text(notification, context),
        },
        "at": {"atMobiles": [], "isAtAll": False},
    }


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk's 加签: base64 of HMAC-SHA256(secret, "timestamp\\nsecret"), URL-encoded."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest))


def dingtalk_signed_url(url: str, secret: str, timestamp_ms: int) -> str:
    separator = "&" if urllib.parse.urlsplit(url).query else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(timestamp_ms, secret)}"


def wecom_body(notification: Notification, context: MessageContext) -> dict[str, Any]:
    content = markdown_text(notification, context)
    encoded = content.encode()
    if len(encoded) > WECOM_MAX_CONTENT_BYTES:
        content = encoded[: WECOM_MAX_CONTENT_BYTES - 3].decode(errors="ignore") + "…"
    return {"msgtype": "markdown", "markdown": {"content": content}}


def email_message(
    notification: Notification, context: MessageContext, *, sender: str, recipients: list[str]
) -> EmailMessage:
    payload = notification.payload
    facts = "\n".join(f"{label}：{value}" for label, value in _facts(notification, context))
    link = context.case_link(notification.case_id)
    body = [
        "您好：",
        "",
        f"{payload['title_zh']}，请及时督办。",
        "",
        facts,
    ]
    if link:
        body += ["", f"在控制台处置 / Open in the console: {link}"]
    body += ["", "——清廉 Qinglian 预警处置系统", "", "-" * 40, payload["title_en"] + "."]
    message = EmailMessage()
    message["Subject"] = payload["title_zh"]
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["X-Qinglian-Notification"] = notification.key
    message.set_content("\n".join(body), charset="utf-8")
    return message
