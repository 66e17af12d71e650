"""The notification channels file: what it accepts and how it says what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.alerting.adapters.channels_file import ChannelKind, load_channels
from services.alerting.domain.escalation import Audience, Recipient
from services.alerting.errors import InvalidChannels

GOOD = """
channels:
  - name: district-dingtalk
    kind: dingtalk
    url: https://oapi.dingtalk.com/robot/send?access_token=abc
    secret_env: DINGTALK_SIGN_SECRET
    audience: district
  - name: school-mail
    kind: email
    to: [jiwei@example.cn]
    units: ["500102001"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "channels.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_channels_are_read_with_their_secrets_from_the_environment(tmp_path: Path) -> None:
    ding, mail = load_channels(write(tmp_path, GOOD), {"DINGTALK_SIGN_SECRET": "SECabc"})
    assert (ding.kind, ding.secret, ding.target) == (
        ChannelKind.DINGTALK,
        "SECabc",
        "https://oapi.dingtalk.com/robot/send",
    )
    assert ding.accepts(Recipient(Audience.DISTRICT, "500102", "discipline_team"))
    assert not ding.accepts(Recipient(Audience.SCHOOL, "500102001", "supervisor"))
    assert mail.accepts(Recipient(Audience.SCHOOL, "500102001", "supervisor"))
    assert not mail.accepts(Recipient(Audience.SCHOOL, "500102002", "supervisor"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD, "DINGTALK_SIGN_SECRET is not set"),
        ("channels:\n  - {name: m, kind: email}\n", "needs 'to' addresses"),
        ("channels:\n  - {name: w, kind: wecom}\n", "needs a 'url'"),
        ("channels:\n  - {name: w, kind: sms, url: 'http://x'}\n", "channels.0.kind"),
        (
            "channels:\n  - {name: w, kind: webhook, url: 'http://x', secret_env: QINGLIAN_X}\n",
            "must not start with QINGLIAN_",
        ),
        (
            "channels:\n  - {name: w, kind: webhook, url: 'http://x'}\n  - {name: w, kind: webhook, url: 'http://y'}\n",
            "unique",
        ),
        ("channels: [", "cannot read"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InvalidChannels, match=message):
        load_channels(write(tmp_path, text), {})
