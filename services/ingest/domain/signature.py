"""Request authentication: HMAC-SHA256 over ``timestamp + "\\n" + body`` with a per-source key.

Headers::

    X-Qinglian-Source      registered source id
    X-Qinglian-Timestamp   unix seconds or RFC 3339 with an offset, exactly as signed
    X-Qinglian-Key-Id      optional; without it every active key of the source is tried
    X-Qinglian-Signature   lower- or upper-case hex digest

A timestamp outside the window (default ±300 s) is refused, so a captured request
cannot be replayed later; a replay inside the window only yields ``duplicate``
results because event ids are deduplicated.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from services.ingest.domain.sources import SigningKey, SourceRegistry, SourceSystem
from services.ingest.errors import AuthenticationFailed

SOURCE_HEADER = "X-Qinglian-Source"
TIMESTAMP_HEADER = "X-Qinglian-Timestamp"
KEY_ID_HEADER = "X-Qinglian-Key-Id"
SIGNATURE_HEADER = "X-Qinglian-Signature"

_UNIX_SECONDS = re.compile(r"^\d{1,12}(\.\d+)?$")
_HEX = re.compile(r"^[0-9a-fA-F]{64}$")


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def signing_headers(source_id: str, key: SigningKey, body: bytes, at: datetime) -> dict[str, str]:
    """The headers a sender adds to a push request (used by the simulator, benchmarks and tests)."""
    timestamp = str(int(at.timestamp()))
    return {
        SOURCE_HEADER: source_id,
        TIMESTAMP_HEADER: timestamp,
        KEY_ID_HEADER: key.key_id,
        SIGNATURE_HEADER: signature(key.secret, timestamp, body),
    }


def parse_timestamp(value: str) -> datetime:
    if _UNIX_SECONDS.match(value):
        return datetime.fromtimestamp(float(value), tz=UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise AuthenticationFailed(
            f"时间戳格式错误 / {TIMESTAMP_HEADER} '{value[:40]}' "
            "is neither unix seconds nor RFC 3339"
        ) from exc
    if parsed.tzinfo is None:
        raise AuthenticationFailed(
            f"时间戳缺少时区 / {TIMESTAMP_HEADER} needs a UTC offset (e.g. +08:00 or Z)"
        )
    return parsed


def authenticate(
    registry: SourceRegistry,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: datetime,
    window: timedelta,
) -> SourceSystem:
    """The registered source that signed this request, or AuthenticationFailed with the reason."""
    source_id = headers.get(SOURCE_HEADER)
    if not source_id:
        raise AuthenticationFailed(f"缺少来源 / missing header {SOURCE_HEADER}")
    source = registry.get(source_id)
    if source is None:
        raise AuthenticationFailed(f"未登记的来源 / source '{source_id[:80]}' is not registered")
    if not source.may_push:
        raise AuthenticationFailed(
            f"来源只允许拉取 / source '{source_id}' is registered as pull-only (push: false) and may not push"
        )
    timestamp = headers.get(TIMESTAMP_HEADER)
    sent = headers.get(SIGNATURE_HEADER)
    if not timestamp or not sent:
        raise AuthenticationFailed(
            f"请求未签名 / unsigned request: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required"
        )
    skew = abs(now - parse_timestamp(timestamp))
    if skew > window:
        raise AuthenticationFailed(
            f"时间戳超出有效窗口 / {TIMESTAMP_HEADER} is {int(skew.total_seconds())} s "
            f"from server time (outside the allowed window of ±{int(window.total_seconds())} s); "
            "check the sender's clock or re-sign the request"
        )
    if not _HEX.match(sent):
        raise AuthenticationFailed(
            f"签名格式错误 / {SIGNATURE_HEADER} must be a 64-character hex HMAC-SHA256"
        )
    _check_signature(source, headers.get(KEY_ID_HEADER), timestamp, body, sent.lower())
    return source


def _check_signature(
    source: SourceSystem, key_id: str | None, timestamp: str, body: bytes, sent: str
) -> None:
    if key_id:
        key = source.key(key_id)
        if key is None:
            raise AuthenticationFailed(
                f"密钥编号无效 / key '{key_id[:40]}' "
                f"is not an active key of source '{source.source_id}'"
            )
        candidates: tuple[SigningKey, ...] = (key,)
    else:
        candidates = source.keys
    # Every candidate is compared, matching or not, so timing does not reveal which key is active.
    matches = [
        hmac.compare_digest(signature(key.secret, timestamp, body), sent) for key in candidates
    ]
    if not any(matches):
        raise AuthenticationFailed(
            f"签名不正确 / {SIGNATURE_HEADER} does not match: sign "
            f'hex(HMAC-SHA256(key, {TIMESTAMP_HEADER} + "\\n" + body)) with an active key'
        )
