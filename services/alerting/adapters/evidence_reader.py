"""Finding the raw events alerts cite, on the retained raw topics, read-only.

The consumer has no group id, so it joins no group and commits nothing; nothing
is produced. Raw events are keyed by school id with kafka-python's default
partitioner (murmur2), so one school's events of every domain are in the same
partition number of each raw topic: only that partition is read, from the
offset of the query's ``since`` (``offsets_for_times``) to that of its ``until``.
Events not found there are left to the caller to report as missing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

import orjson
import structlog
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord
from kafka.errors import KafkaError

from qinglian import broker
from qinglian.errors import BrokerUnavailable
from qinglian.settings import Settings
from qinglian.topics import DOMAINS, raw_topic
from services.alerting.domain.audit_bundle import EvidenceQuery, EvidenceRecord
from services.alerting.errors import EvidenceUnavailable

log = structlog.get_logger(__name__)

POLL_TIMEOUT_MS = 500


class KafkaEvidenceReader:
    def __init__(self, settings: Settings, *, idle_seconds: float = 15.0) -> None:
        self._settings = settings
        self._idle_seconds = idle_seconds
        self.topics = tuple(raw_topic(settings, domain) for domain in DOMAINS)

    def find(self, queries: Sequence[EvidenceQuery]) -> list[EvidenceRecord]:
        if not queries:
            return []
        try:
            reader = broker.consumer(
                self._settings, group_id=None, enable_auto_commit=False, max_poll_records=5000
            )
        except BrokerUnavailable as exc:
            raise EvidenceUnavailable(
                f"无法读取原始事件 / cannot read the raw topics: {exc}"
            ) from exc
        try:
            found: dict[str, EvidenceRecord] = {}
            for query in queries:
                self._search(reader, query, found)
            return list(found.values())
        except KafkaError as exc:
            raise EvidenceUnavailable(
                f"读取原始事件失败 / reading the raw topics failed: {exc!r}; check Kafka at "
                f"{self._settings.kafka_bootstrap_servers}"
            ) from exc
        finally:
            reader.close()

    def _search(
        self, reader: KafkaConsumer, query: EvidenceQuery, found: dict[str, EvidenceRecord]
    ) -> None:
        wanted = set(query.event_ids) - set(found)
        partitions = [
            TopicPartition(topic, partition)
            for topic in self.topics
            for partition in _partitions(reader, topic, query.school_id)
        ]
        if not wanted or not partitions:
            return
        reader.assign(partitions)
        ends = reader.end_offsets(partitions)
        starts = _offsets_at(reader, partitions, query.since, ends)
        stops = _offsets_at(reader, partitions, query.until, ends)
        remaining = {tp: stops[tp] for tp in partitions if stops[tp] > starts[tp]}
        for tp in partitions:
            reader.seek(tp, starts[tp])
        reader.pause(*(tp for tp in partitions if tp not in remaining))
        idle_since = time.monotonic()
        while remaining and wanted:
            batches = reader.poll(timeout_ms=POLL_TIMEOUT_MS)
            for tp, records in batches.items():
                for record in records:
                    if tp in remaining and record.offset < remaining[tp]:
                        _collect(tp, record, wanted, found)
            for tp in [tp for tp, stop in remaining.items() if reader.position(tp) >= stop]:
                del remaining[tp]
                reader.pause(tp)
            if batches:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > self._idle_seconds:
                log.warning("evidence search gave up on idle partitions", partitions=len(remaining))
                break
        reader.resume(*partitions)


def partition_for(school_id: str, partitions: int) -> int:
    """The partition the producers put a school's events in (kafka-python's default partitioner)."""
    return broker.key_partition(school_id.encode("utf-8"), partitions)


def _partitions(reader: KafkaConsumer, topic: str, school_id: str | None) -> list[int]:
    available = sorted(reader.partitions_for_topic(topic) or ())
    if not available or school_id is None:
        return available
    return [available[partition_for(school_id, len(available))]]


def _offsets_at(
    reader: KafkaConsumer,
    partitions: list[TopicPartition],
    moment: datetime,
    ends: dict[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """The first offset at or after ``moment`` in each partition (its end when there is none)."""
    found = reader.offsets_for_times({tp: int(moment.timestamp() * 1000) for tp in partitions})
    return {tp: found[tp].offset if found.get(tp) is not None else ends[tp] for tp in partitions}


def _collect(
    tp: TopicPartition, record: ConsumerRecord, wanted: set[str], found: dict[str, EvidenceRecord]
) -> None:
    try:
        text = (record.value or b"").decode("utf-8")
        event_id = orjson.loads(text).get("id")
    except (UnicodeDecodeError, orjson.JSONDecodeError, AttributeError):
        return
    if event_id not in wanted:
        return
    wanted.discard(event_id)
    found[event_id] = EvidenceRecord(
        event_id=event_id,
        topic=tp.topic,
        partition=tp.partition,
        offset=record.offset,
        kafka_time=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        value=text,
    )
