"""Test doubles and builders for the ingest tests (unit and integration)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.ingest.domain.sources import SigningKey, SourceRegistry, SourceSystem
from services.ingest.service_layer.ports import Message

EXAMPLES = Path(__file__).resolve().parents[3] / "contracts" / "examples"
PREFIX = "cn.edu.qinglian."
VOUCHER = "finance.payment_voucher.v1"
AID = "finance.aid_disbursement.v1"  # carries a clear id_number
MEAL_FEE = "canteen.meal_fee_payment.v1"
ALERT = "alerts.alert.v1"  # published by the detectors, never through ingest
CLEAR_ID_NUMBER = "500102201304151236"
SCHOOL = "500102001"
NOW = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)

OLD_KEY = SigningKey("2025-03", b"old-secret-0123456789")
NEW_KEY = SigningKey("2025-09", b"new-secret-9876543210")


def event(kind: str = VOUCHER, **envelope: Any) -> dict[str, Any]:
    """A valid contract example with a fresh id, envelope fields overridden."""
    built: dict[str, Any] = json.loads(
        (EXAMPLES / f"{PREFIX}{kind}.json").read_text(encoding="utf-8")
    )
    built["id"] = f"test-{uuid.uuid4()}"
    built.update(envelope)
    return built


def broken(kind: str = VOUCHER) -> dict[str, Any]:
    """A valid example whose amount is a string: rejected at data.amount_fen by rule `type`."""
    built = event(kind)
    built["data"] = copy.deepcopy(built["data"])
    built["data"]["amount_fen"] = "258720.00"
    return built


def finance_source(
    source_id: str = "fuling-finance", *, schools: Sequence[str] = (SCHOOL,)
) -> SourceSystem:
    return SourceSystem(
        source_id=source_id,
        keys=(OLD_KEY, NEW_KEY),
        event_types=(f"{PREFIX}finance.*",),
        school_ids=tuple(schools),
        name="涪陵区数字财务",
    )


def any_type_source(source_id: str = "district-platform") -> SourceSystem:
    """A source registered for every type and school: permissions alone refuse nothing."""
    return SourceSystem(
        source_id=source_id,
        keys=(NEW_KEY,),
        event_types=(f"{PREFIX}*",),
        school_ids=("*",),
    )


def registry_of(*sources: SourceSystem) -> SourceRegistry:
    return SourceRegistry.of(sources or (finance_source(),))


class RecordingPublisher:
    """Records every publish call; acknowledges writes unless told to fail them."""

    def __init__(self) -> None:
        self.calls: list[list[Message]] = []
        self.fail_topics: set[str] = set()
        self.down = False

    def publish(self, messages: Sequence[Message]) -> list[bool]:
        self.calls.append(list(messages))
        return [not self.down and message.topic not in self.fail_topics for message in messages]

    @property
    def messages(self) -> list[Message]:
        return [message for call in self.calls for message in call]

    def on(self, topic: str) -> list[Message]:
        return [message for message in self.messages if message.topic == topic]


class FixedClock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class ListDeadLetterReader:
    def __init__(self, records: Collection[Mapping[str, object]] = ()) -> None:
        self.records_list = list(records)

    def records(self) -> Iterator[Mapping[str, object]]:
        return iter(list(self.records_list))
