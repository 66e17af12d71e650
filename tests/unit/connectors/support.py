"""Builders and fakes for the connector tests (unit and integration)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from qinglian.metrics import new_registry
from qinglian.settings import Settings
from services.ingest.adapters.dedup_store import InMemoryDedupStore
from services.ingest.adapters.metrics import IngestMetrics
from services.ingest.connectors.adapters.checkpoints import InMemoryCheckpointStore
from services.ingest.connectors.adapters.connectors_file import load_connectors
from services.ingest.connectors.adapters.metrics import ConnectorMetrics
from services.ingest.connectors.domain.checkpoint import Checkpoint, SavedCheckpoint
from services.ingest.connectors.domain.spec import ConnectorSpec
from services.ingest.connectors.service_layer.ports import CheckpointStore
from services.ingest.connectors.service_layer.pull import PullDeps
from services.ingest.service_layer.ingestion import Ingestion
from tests.unit.ingest.support import EXAMPLES, PREFIX, RecordingPublisher

CST = timezone(timedelta(hours=8))
SCHOOL = "500102001"
MEAL_FEE_TYPE = f"{PREFIX}canteen.meal_fee_payment.v1"
CLEAR_ID_NUMBER = "500102201304151236"
NOW = datetime(2024, 9, 2, 8, 0, tzinfo=UTC)

MEAL_FEE_MAPPING: dict[str, Any] = {
    "event_type": MEAL_FEE_TYPE,
    "school_id": {"column": "school_code", "convert": "text"},
    "district_id": {"value": "500102"},
    "time": "paid_at",
    "subject": "payment_no",
    "fields": {
        "payment_id": "payment_no",
        "paid_at": {"column": "paid_at", "convert": "local_time"},
        "term": "term_code",
        "student.student_id": "student_no",
        "student.id_number": "id_card_no",
        "student.name": "student_name",
        "amount_fen": {"column": "amount_yuan", "convert": "yuan_to_fen"},
        "meal_days": {"column": "meal_days", "convert": "integer"},
        "channel": {
            "column": "pay_channel",
            "convert": "codes",
            "codes": {
                "01": "wechat",
                "02": "alipay",
                "03": "bank_transfer",
                "04": "pos",
                "05": "cash",
            },
        },
        "receiving_account_type": {
            "column": "account_type",
            "convert": "codes",
            "codes": {
                "1": "school_public_account",
                "2": "canteen_public_account",
                "9": "personal_account",
            },
        },
    },
}


def meal_fee(
    number: int, *, paid_at: datetime | None = None, amount_fen: int = 72000, school: str = SCHOOL
) -> dict[str, Any]:
    """The contract example as payment number ``number``."""
    event: dict[str, Any] = json.loads(
        (EXAMPLES / f"{MEAL_FEE_TYPE}.json").read_text(encoding="utf-8")
    )
    moment = (paid_at or datetime(2024, 9, 1, 20, 15, 32, tzinfo=CST)).isoformat()
    payment_id = f"JF-2024-{number:06d}"
    event.update(id=f"sent-{number}", subject=payment_id, time=moment, schoolid=school)
    event["data"] = copy.deepcopy(event["data"]) | {
        "payment_id": payment_id,
        "paid_at": moment,
        "amount_fen": amount_fen,
    }
    return event


def staging_entry(
    connector_id: str, url: str, *, batch_size: int = 500, table: str = "st_meal_fee_payment"
) -> dict[str, Any]:
    return {
        "id": connector_id,
        "kind": "staging_db",
        "url": url,
        "event_source": "/schools/{school_id}/canteen",
        "batch_size": batch_size,
        "tables": [
            {
                "table": table,
                "primary_key": "id",
                "updated_at": "updated_at",
                "key": ["payment_no"],
                **MEAL_FEE_MAPPING,
            }
        ],
    }


def rest_entry(
    connector_id: str, base_url: str, pagination: Mapping[str, Any], **extra: Any
) -> dict[str, Any]:
    resource = {
        "name": "meal-fees",
        "path": "/api/v1/meal-fees",
        "pagination": dict(pagination),
        "page_size": 2,
        "key": ["payment_no"],
        "version": "updated_at",
        **MEAL_FEE_MAPPING,
    }
    return {
        "id": connector_id,
        "kind": "rest_api",
        "base_url": base_url,
        "resources": [resource],
        **extra,
    }


def drop_entry(
    connector_id: str, folder: Path, *, batch_size: int = 500, key: bool = True
) -> dict[str, Any]:
    mapping = {**MEAL_FEE_MAPPING, **({"key": ["payment_no"]} if key else {})}
    return {
        "id": connector_id,
        "kind": "file_drop",
        "folder": str(folder),
        "batch_size": batch_size,
        "files": [
            {"pattern": "meal_fee_*.csv", **mapping},
            {"pattern": "meal_fee_*.xlsx", **mapping},
        ],
    }


def ocds_entry(connector_id: str, folder: Path, **extra: Any) -> dict[str, Any]:
    return {
        "id": connector_id,
        "kind": "ocds",
        "folder": str(folder),
        "event_source": "/schools/{school_id}/procurement",
        **extra,
    }


def specs(
    tmp_path: Path, *entries: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> list[ConnectorSpec]:
    path = tmp_path / "connectors.yaml"
    path.write_text(
        yaml.safe_dump({"connectors": list(entries)}, allow_unicode=True), encoding="utf-8"
    )
    return load_connectors(path, environ or {})


@dataclass
class Harness:
    """The pull use case on fakes: a recording publisher, in-memory dedup and checkpoints."""

    publisher: RecordingPublisher = field(default_factory=RecordingPublisher)
    dedup: InMemoryDedupStore = field(default_factory=InMemoryDedupStore)
    checkpoints: InMemoryCheckpointStore = field(default_factory=InMemoryCheckpointStore)
    registry: Any = field(default_factory=new_registry)

    def __post_init__(self) -> None:
        self.metrics = ConnectorMetrics(self.registry, clock=lambda: NOW)
        ingestion = Ingestion.from_settings(
            Settings(),
            publisher=self.publisher,
            dedup_store=self.dedup,
            metrics=IngestMetrics(self.registry),
        )
        self.deps = PullDeps(ingestion, self.checkpoints, self.metrics, clock=lambda: NOW)

    def published(self, topic: str = "qinglian.raw.canteen") -> list[dict[str, Any]]:
        return [dict(message.value) for message in self.publisher.on(topic)]

    def deadletters(self) -> list[dict[str, Any]]:
        return self.published("qinglian.deadletter")


class CrashingCheckpoints:
    """Dies like a killed process on the n-th save: after Kafka acknowledged the batch, before its checkpoint."""

    def __init__(self, crash_on_save: int, inner: CheckpointStore) -> None:
        self.inner = inner
        self.saves = 0
        self.crash_on_save = crash_on_save

    def load(self, connector_id: str) -> dict[str, Checkpoint]:
        return self.inner.load(connector_id)

    def load_stream(self, connector_id: str, stream: str) -> Checkpoint | None:
        return self.inner.load_stream(connector_id, stream)

    def saved(self) -> list[SavedCheckpoint]:
        return self.inner.saved()

    def save(self, connector_id: str, checkpoint: Checkpoint, saved_at: datetime) -> None:
        self.saves += 1
        if self.saves == self.crash_on_save:
            raise ProcessKilled(f"killed before saving checkpoint #{self.saves}")
        self.inner.save(connector_id, checkpoint, saved_at)


class ProcessKilled(BaseException):
    """Not an Exception: nothing in the connector may catch it, as nothing survives a SIGKILL."""


def ids_of(events: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(event["id"]) for event in events]
