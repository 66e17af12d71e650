"""OpenAPI documentation of the push API: models, headers and examples (built when the app is)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.ingest.domain.batch import BodyLimits
from services.ingest.domain.signature import (
    KEY_ID_HEADER,
    SIGNATURE_HEADER,
    SOURCE_HEADER,
    TIMESTAMP_HEADER,
)

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "contracts" / "examples"
EXAMPLE_TYPE = "cn.edu.qinglian.finance.payment_voucher.v1"

DESCRIPTION = f"""
学校业务系统向清廉推送事件（CloudEvents 1.0 JSON）。
/ School systems push CloudEvents 1.0 (JSON) to Qinglian.

**Body**: one event (JSON object), a batch (JSON array) or NDJSON
(`Content-Type: application/x-ndjson`).

**Signature**: `{SIGNATURE_HEADER}` = hex(HMAC-SHA256(key, `{TIMESTAMP_HEADER}` + "\\n" + body)),
with `{SOURCE_HEADER}` (registered source id), `{TIMESTAMP_HEADER}` (unix seconds or RFC 3339,
within ±300 s of server time) and optionally `{KEY_ID_HEADER}` (which of the source's two active
keys signed).

**Results**: every event is answered by index and id: `accepted` (stored in Kafka, acks=all),
`duplicate` (its id was already accepted from this source; not published again) or `rejected`
(with the field path and the rule; recorded in the dead-letter topic under `deadletter_id`).
200: all accepted or duplicate; 207: mixed; 403: nothing accepted, all refused for source
permissions (type or school) or because no source may push them (`domain_not_ingested`:
alerts, which only the detectors publish); 422: nothing accepted, some event broke its contract.
400/401/413/503 refuse the whole request and record nothing: re-send it (after `Retry-After`
for 503).
"""


class ReasonModel(BaseModel):
    path: str = Field(description="出错字段 / Dotted path of the field, '' for the event itself.")
    rule: str = Field(description="违反的规则 / JSON Schema keyword or source permission rule.")
    message: str


class ItemResultModel(BaseModel):
    index: int = Field(description="在请求中的序号 / Position in the request, from 0.")
    id: str | None = Field(description="事件 id / The event's id, when it has one.")
    status: Literal["accepted", "duplicate", "rejected"]
    topic: str | None = Field(None, description="写入的主题 / Kafka topic (accepted only).")
    reasons: list[ReasonModel] | None = Field(None, description="拒收原因 / Why it was rejected.")
    deadletter_id: str | None = Field(
        None, description="死信编号 / Id in the dead-letter topic (rejected only)."
    )


class PushResponseModel(BaseModel):
    source: str
    received_at: str
    summary: dict[str, int]
    results: list[ItemResultModel]


class ErrorModel(BaseModel):
    error: str = Field(description="机器可读代码 / Machine-readable code.")
    message: str = Field(description="中文 / English explanation of what to fix.")


def example_event() -> dict[str, Any]:
    event: dict[str, Any] = json.loads(
        (EXAMPLES_DIR / f"{EXAMPLE_TYPE}.json").read_text(encoding="utf-8")
    )
    return event


def push_request(limits: BodyLimits) -> dict[str, Any]:
    event = example_event()
    header = {"in": "header", "schema": {"type": "string"}}
    return {
        "parameters": [
            {
                **header,
                "name": SOURCE_HEADER,
                "required": True,
                "description": "来源编号 / Registered source id.",
            },
            {
                **header,
                "name": TIMESTAMP_HEADER,
                "required": True,
                "description": "Unix seconds or RFC 3339.",
            },
            {
                **header,
                "name": KEY_ID_HEADER,
                "required": False,
                "description": "签名密钥编号 / Signing key id.",
            },
            {
                **header,
                "name": SIGNATURE_HEADER,
                "required": True,
                "description": "Hex HMAC-SHA256.",
            },
        ],
        "requestBody": {
            "required": True,
            "description": f"至多 {limits.max_events} 个事件、{limits.max_bytes} 字节 / "
            f"At most {limits.max_events} events and {limits.max_bytes} bytes.",
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            {"type": "object"},
                            {"type": "array", "items": {"type": "object"}},
                        ]
                    },
                    "examples": {
                        "one": {"summary": "一个事件 / One event", "value": event},
                        "batch": {"summary": "批量 / A batch", "value": [event]},
                    },
                },
                "application/x-ndjson": {
                    "schema": {"type": "string"},
                    "example": json.dumps(event, ensure_ascii=False) + "\n",
                },
            },
        },
    }


def push_responses() -> dict[int | str, dict[str, Any]]:
    event = example_event()
    accepted = {
        "source": "fuling-finance",
        "received_at": "2025-09-01T08:00:00+00:00",
        "summary": {"accepted": 1, "duplicate": 0, "rejected": 0},
        "results": [
            {"index": 0, "id": event["id"], "status": "accepted", "topic": "qinglian.raw.finance"}
        ],
    }
    rejected = {
        "source": "fuling-finance",
        "received_at": "2025-09-01T08:00:00+00:00",
        "summary": {"accepted": 0, "duplicate": 0, "rejected": 1},
        "results": [
            {
                "index": 0,
                "id": event["id"],
                "status": "rejected",
                "reasons": [
                    {
                        "path": "data.amount_fen",
                        "rule": "type",
                        "message": "类型错误，应为整数 / wrong type: expected integer, got string",
                    }
                ],
                "deadletter_id": "0b6f9a5e-4a43-4c55-9d8e-2f1f3c9a7d10",
            }
        ],
    }

    def results(description: str, example: dict[str, Any]) -> dict[str, Any]:
        return {
            "model": PushResponseModel,
            "description": description,
            "content": {"application/json": {"example": example}},
        }

    def error(description: str) -> dict[str, Any]:
        return {"model": ErrorModel, "description": description}

    return {
        200: results("全部接收或重复 / Every event accepted or duplicate.", accepted),
        207: results("部分拒收 / Some events rejected (see results).", rejected),
        400: error("请求体无法解析 / Body is not JSON or NDJSON, or empty."),
        401: error("认证失败 / Unknown source, unsigned, wrong signature or stale timestamp."),
        403: results(
            "来源无权发布 / Nothing accepted: the source may not publish these types or schools.",
            rejected,
        ),
        413: error("请求过大 / Too many bytes or events: split the batch."),
        422: results("全部拒收 / Nothing accepted: events break their contracts.", rejected),
        503: error("存储不可用 / Kafka did not confirm the writes: re-send after Retry-After."),
    }
