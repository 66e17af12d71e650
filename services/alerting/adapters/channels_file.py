"""Notification channels from a YAML file (``QINGLIAN_ALERTING_CHANNELS_FILE``).

channels:
  - name: district-dingtalk           # unique; the delivery log and retries go by it
    kind: dingtalk                     # webhook | dingtalk | wecom | email
    url: https://oapi.dingtalk.com/robot/send?access_token=…
    secret_env: DINGTALK_SIGN_SECRET   # 加签 secret, read from the environment
    audience: district                 # only reminders for the district (default: any)
    units: ["500102"]                  # only these schools/districts (default: any)
  - name: school-wecom
    kind: wecom
    url: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…
    audience: school
  - name: district-mail
    kind: email
    to: [jiwei@example.edu.cn]

Secrets are read from the environment so the file can be committed; the
variable must not start with QINGLIAN_ (those are settings).
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from qinglian.settings import ENV_PREFIX
from services.alerting.domain.escalation import Audience, Recipient
from services.alerting.errors import InvalidChannels


class ChannelKind(enum.Enum):
    WEBHOOK = "webhook"
    DINGTALK = "dingtalk"
    WECOM = "wecom"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    name: str
    kind: ChannelKind
    url: str | None = None
    secret: str | None = None
    to: tuple[str, ...] = ()
    audience: Audience | None = None
    units: frozenset[str] = frozenset()

    @property
    def target(self) -> str:
        """Where the channel delivers, for the delivery log (robot URLs without their access token)."""
        if self.kind is ChannelKind.EMAIL:
            return ", ".join(self.to)
        return (self.url or "").split("?", 1)[0]

    def accepts(self, recipient: Recipient) -> bool:
        if self.audience is not None and recipient.audience is not self.audience:
            return False
        return not self.units or recipient.unit_id in self.units


class _Channel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64)
    kind: ChannelKind
    url: str | None = Field(None, pattern=r"^https?://")
    secret_env: str | None = None
    secret: str | None = None
    to: list[str] = []
    audience: Audience | None = None
    units: list[str] = []

    @model_validator(mode="after")
    def _needs_a_destination(self) -> _Channel:
        if self.kind is ChannelKind.EMAIL and not self.to:
            raise ValueError("an email channel needs 'to' addresses")
        if self.kind is not ChannelKind.EMAIL and not self.url:
            raise ValueError(f"a {self.kind.value} channel needs a 'url'")
        if self.secret_env and self.secret_env.startswith(ENV_PREFIX):
            raise ValueError(f"secret_env must not start with {ENV_PREFIX}")
        return self


class _ChannelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: list[_Channel] = Field(min_length=1)


def load_channels(path: Path, environ: Mapping[str, str] | None = None) -> list[ChannelSpec]:
    environ = os.environ if environ is None else environ
    try:
        parsed = _ChannelsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidChannels(
            f"无法读取通知渠道文件 / cannot read the channels file {path}: {exc}"
        ) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidChannels(
            f"通知渠道文件有误 / channels file {path}: {where}: {first['msg']}"
        ) from exc
    names = [channel.name for channel in parsed.channels]
    if len(set(names)) != len(names):
        raise InvalidChannels(f"通知渠道重名 / channels file {path}: channel names must be unique")
    return [_spec(channel, path, environ) for channel in parsed.channels]


def _spec(channel: _Channel, path: Path, environ: Mapping[str, str]) -> ChannelSpec:
    secret = channel.secret
    if channel.secret_env:
        if channel.secret_env not in environ:
            raise InvalidChannels(
                f"{path}: 渠道 {channel.name} 的密钥变量 {channel.secret_env} 未设置 / "
                f"channel {channel.name}: environment variable {channel.secret_env} is not set"
            )
        secret = environ[channel.secret_env]
    return ChannelSpec(
        name=channel.name,
        kind=channel.kind,
        url=channel.url,
        secret=secret,
        to=tuple(channel.to),
        audience=channel.audience,
        units=frozenset(channel.units),
    )
