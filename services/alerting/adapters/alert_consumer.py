"""The alerts-topic consumer: poll a batch, store it in one transaction, then commit offsets.

Per batch, in this order:

1. decode every record; an invalid one is set aside for the dead-letter topic;
2. store the valid alerts in ONE database transaction, retried (tenacity) while
   the database is unreachable or a concurrent writer got in first; no offset is
   committed meanwhile, so a crash or an outage loses nothing;
3. if the batch fails for any other reason (a bug, an alert the domain cannot
   take), store the alerts one by one and dead-letter only those that fail;
4. send the dead letters and wait for Kafka to acknowledge them;
5. commit the offsets after the last record of each partition.

Re-delivery after a crash between 2 and 5 is harmless: alert ids are unique in
the database, so a stored alert is a no-op the second time.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from kafka.errors import CommitFailedError, KafkaTimeoutError, RebalanceInProgressError
from kafka.structs import OffsetAndMetadata, TopicPartition
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

from services.alerting.adapters.alert_codec import decode_alert_event
from services.alerting.adapters.deadletter import ReceivedRecord, rejection_record
from services.alerting.domain.alerts import Alert
from services.alerting.errors import DatabaseUnavailable, InvalidAlert

log = structlog.get_logger(__name__)

# Worth retrying: the database is away (Operational/Interface) or another writer stored the same
# alert or appended to the same case first (Integrity); a retry sees their result.
TRANSIENT_DATABASE_ERRORS = (OperationalError, InterfaceError, IntegrityError)


class RecordSource(Protocol):
    """The part of kafka-python's KafkaConsumer the loop uses."""

    def poll(
        self, timeout_ms: int = 0, max_records: int | None = None
    ) -> Mapping[TopicPartition, list[Any]]: ...

    def commit(
        self,
        offsets: Mapping[TopicPartition, OffsetAndMetadata] | None = None,
        timeout_ms: int | None = None,
    ) -> None: ...


class DeadLetterSink(Protocol):
    def send(self, record: Mapping[str, Any]) -> None: ...

    def flush(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ConsumerTuning:
    batch_size: int = 500
    poll_timeout_ms: int = 1000
    commit_timeout_ms: int = 30_000
    database_retry_for: timedelta = timedelta(minutes=10)
    retry_wait_max_seconds: float = 30.0


@dataclass(frozen=True, slots=True)
class BatchResult:
    records: int = 0
    stored: int = 0
    invalid: int = 0
    failed: int = 0


class AlertConsumer:
    def __init__(
        self,
        source: RecordSource,
        deadletters: DeadLetterSink,
        store: Callable[[Sequence[Alert]], object],
        *,
        clock: Callable[[], datetime],
        source_name: str = "qinglian-alerting",
        tuning: ConsumerTuning | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._source = source
        self._deadletters = deadletters
        self._store = store
        self._clock = clock
        self._source_name = source_name
        self._tuning = tuning or ConsumerTuning()
        self._sleep = sleep

    def process_batch(self) -> BatchResult:
        """Poll once and handle what came; returns what happened (all zero when nothing came)."""
        polled = self._source.poll(
            timeout_ms=self._tuning.poll_timeout_ms, max_records=self._tuning.batch_size
        )
        records = [record for partition_records in polled.values() for record in partition_records]
        if not records:
            return BatchResult()
        decoded: list[tuple[ReceivedRecord, Alert]] = []
        invalid: list[tuple[ReceivedRecord, list[dict[str, str]]]] = []
        for record in records:
            try:
                decoded.append((record, decode_alert_event(record.value)))
            except InvalidAlert as exc:
                invalid.append((record, exc.reasons))
        failed = self._store_all(decoded)
        for record, reasons in invalid + failed:
            log.warning(
                "alert dead-lettered",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                reasons=reasons,
            )
            self._deadletters.send(
                rejection_record(
                    record,
                    deadletter_id=str(uuid.uuid4()),
                    reasons=reasons,
                    at=self._clock(),
                    source=self._source_name,
                )
            )
        self._deadletters.flush()
        self._commit(records)
        return BatchResult(len(records), len(decoded) - len(failed), len(invalid), len(failed))

    def _store_all(
        self, decoded: list[tuple[ReceivedRecord, Alert]]
    ) -> list[tuple[ReceivedRecord, list[dict[str, str]]]]:
        """Store the batch; if it fails for a non-transient reason, alert by alert. Returns the failures."""
        if not decoded:
            return []
        try:
            self._with_retry(lambda: self._store([alert for _, alert in decoded]))
            return []
        except DatabaseUnavailable:
            raise
        except Exception:
            log.exception("batch failed; storing its alerts one by one", size=len(decoded))
        failures = []
        for record, alert in decoded:
            try:
                self._with_retry(lambda alert=alert: self._store([alert]))
            except DatabaseUnavailable:
                raise
            # Per-alert isolation: whatever one alert breaks, the others are stored and it is dead-lettered.
            except Exception as exc:  # noqa: BLE001
                reason = f"处理失败 / alerting could not process this alert: {exc.__class__.__name__}: {exc}"
                failures.append((record, [{"path": "", "rule": "processing", "message": reason}]))
        return failures

    def _with_retry(self, operation: Callable[[], object]) -> None:
        retrying = Retrying(
            retry=retry_if_exception_type(TRANSIENT_DATABASE_ERRORS),
            wait=wait_exponential(multiplier=0.2, max=self._tuning.retry_wait_max_seconds),
            stop=stop_after_delay(self._tuning.database_retry_for.total_seconds()),
            sleep=self._sleep,
            before_sleep=lambda state: log.warning(
                "database unavailable, retrying without committing offsets",
                attempt=state.attempt_number,
                error=str(state.outcome.exception()) if state.outcome else None,
            ),
        )
        try:
            retrying(operation)
        except RetryError as exc:
            raise DatabaseUnavailable(
                f"案件数据库持续不可用 / the case database stayed unavailable for {self._tuning.database_retry_for}; "
                "offsets were not committed, so the alerts will be read again after a restart"
            ) from exc.last_attempt.exception()

    def _commit(self, records: Sequence[Any]) -> None:
        next_offsets: dict[TopicPartition, int] = {}
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            next_offsets[partition] = max(next_offsets.get(partition, 0), record.offset + 1)
        offsets = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in next_offsets.items()}
        try:
            self._source.commit(offsets, timeout_ms=self._tuning.commit_timeout_ms)
        except (CommitFailedError, RebalanceInProgressError, KafkaTimeoutError) as exc:
            # The group rebalanced while we worked: the new owner re-reads these records, and alert ids make that a no-op.
            log.warning(
                "offset commit refused after a rebalance; records will be re-read", error=str(exc)
            )
