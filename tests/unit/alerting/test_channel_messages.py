"""Notification wire formats: DingTalk (signed), WeCom, generic webhook, email."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.alerting.adapters.channel_messages import (
    WECOM_MAX_CONTENT_BYTES,
    MessageContext,
    dingtalk_body,
    dingtalk_sign,
    dingtalk_signed_url,
    email_message,
    markdown_text,
    webhook_body,
    wecom_body,
)
from services.alerting.domain.escalation import Audience, Recipient
from services.alerting.domain.notifications import Notification

CONTEXT = MessageContext(ZoneInfo("Asia/Shanghai"), "https://jiwei.example.cn/")


def notification(**payload: object) -> Notification:
    return Notification(
        key="case-1:1:supervisor:0",
        case_id="case-1",
        recipient=Recipient(Audience.SCHOOL, "500102001", "supervisor"),
        created_at=datetime.fromisoformat("2026-10-08T09:00:00+08:00"),
        payload={
            "title_zh": "【督办提醒】橙色预警案件逾期：大宗食材验收少于两人",
            "title_en": "Overdue orange case (reminder 1): Bulk food inspected by fewer than two",
            "school_id": "500102001",
            "district_id": "500102",
            "rule_id": "C6",
            "state": "new",
            "state_zh": "待研判",
            "deadline_at": "2026-09-30T16:00:00+00:00",
            **payload,
        },
    )


def test_dingtalk_signature_matches_an_independent_hmac() -> None:
    # printf '1700000000000\nSECtest' | openssl dgst -sha256 -hmac SECtest -binary | base64
    assert dingtalk_sign(1_700_000_000_000, "SECtest") == (
        "aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D"
    )


@pytest.mark.parametrize(
    ("url", "joined"),
    [
        ("https://oapi.dingtalk.com/robot/send?access_token=abc", "access_token=abc&timestamp="),
        ("http://127.0.0.1:9/robot", "robot?timestamp="),
    ],
)
def test_the_signature_is_appended_to_the_robot_url(url: str, joined: str) -> None:
    signed = dingtalk_signed_url(url, "SECtest", 1_700_000_000_000)
    assert joined in signed
    assert signed.endswith("&sign=aZLLrriXgn05YbwaGR7knYsLeJADjr9NwLaNNKpxh4g%3D")


def test_dingtalk_and_wecom_get_markdown_in_their_documented_shapes() -> None:
    ding = dingtalk_body(notification(), CONTEXT)
    assert ding["msgtype"] == "markdown"
    assert ding["markdown"]["title"].startswith("【督办提醒】")
    assert "期限 / Deadline：2026-10-01 00:00" in ding["markdown"]["text"], (
        "deadline in Beijing time"
    )
    assert "(https://jiwei.example.cn/cases/case-1)" in ding["markdown"]["text"]
    wecom = wecom_body(notification(), CONTEXT)
    assert wecom == {
        "msgtype": "markdown",
        "markdown": {"content": markdown_text(notification(), CONTEXT)},
    }


def test_a_district_level_case_names_no_school() -> None:
    text = markdown_text(notification(school_id=None), CONTEXT)
    assert "- 学校 / School：区县级 / district-level" in text
    assert "- 区县 / District：500102" in text


def test_a_long_wecom_message_is_cut_to_4096_bytes() -> None:
    body = wecom_body(notification(title_zh="很长" * 2000), CONTEXT)
    content = body["markdown"]["content"]
    assert len(content.encode()) <= WECOM_MAX_CONTENT_BYTES and content.endswith("…")


def test_the_webhook_gets_the_whole_notification() -> None:
    body = webhook_body(notification(), MessageContext(ZoneInfo("Asia/Shanghai")))
    assert body["key"] == "case-1:1:supervisor:0"
    assert body["recipient"] == {"audience": "school", "unit_id": "500102001", "role": "supervisor"}
    assert body["link"] is None and body["rule_id"] == "C6"


def test_the_email_has_a_chinese_subject_and_a_chinese_then_english_body() -> None:
    message = email_message(
        notification(),
        CONTEXT,
        sender="qinglian@example.cn",
        recipients=["a@example.cn", "b@example.cn"],
    )
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "【督办提醒】橙色预警案件逾期：大宗食材验收少于两人"
    assert parsed["To"] == "a@example.cn, b@example.cn"
    body = parsed.get_content()
    assert body.index("请及时督办") < body.index("Overdue orange case")
