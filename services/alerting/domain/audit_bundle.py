"""An audit bundle (审计包): one case's alerts, hash-chained history and raw evidence, checkable offline.

Files (UTF-8; a ``.jsonl`` file holds one canonical JSON object per line):

    manifest.json          the case row (with its chain head and entry count), counts, the
                           rules configuration hashes, the evidence searched for and missing,
                           the attachments, and the sha256 of every other file
    manifest.sig           optional: ``hmac-sha256:<hex>`` of manifest.json with the export key
    alerts.jsonl           the case's alerts as stored (contract ``alerts/alert.v1`` data)
    history.jsonl          the case's history entries in sequence, each with prev_hash and hash
    evidence.jsonl         the raw events the alerts cite, exactly as Kafka holds them, and where
    attachments/<sha256>   the files attached to workflow actions (those still on disk)
    SHA256SUMS             every file's sha256 in ``sha256sum -c`` format, for checking by hand
    README.txt             how to check it by hand (zh-CN / English)

Building is pure: ``build_bundle`` turns plain values into file contents (name →
bytes); writing them is an adapter's job, checking them ``domain.bundle_check``'s.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.alerting.domain.alerts import Alert
from services.alerting.domain.bundle_readme import README_TEXT
from services.alerting.domain.case import Case
from services.alerting.domain.history import HistoryEntry, canonical_json

BUNDLE_FORMAT = "qinglian-audit-bundle/1"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
ALERTS = "alerts.jsonl"
HISTORY = "history.jsonl"
EVIDENCE = "evidence.jsonl"
README = "README.txt"
SUMS = "SHA256SUMS"
ATTACHMENTS_DIR = "attachments/"
SIGNATURE_PREFIX = "hmac-sha256:"
# The detector's clock and the broker's may disagree a little; evidence is looked for this far past detection.
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class EvidenceQuery:
    """Where some cited events must be: one school's partition of the raw topics (every partition
    when the school is None), published between ``since`` and ``until`` (Kafka time)."""

    school_id: str | None
    event_ids: frozenset[str]
    since: datetime
    until: datetime


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """One raw event as Kafka holds it: the record value's exact text, and where it was read."""

    event_id: str
    topic: str
    partition: int
    offset: int
    kafka_time: datetime
    value: str

    def record(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "kafka_time": _time(self.kafka_time),
            "value_sha256": sha256_hex(self.value.encode()),
            "value": self.value,
        }


@dataclass(frozen=True, slots=True)
class BundleSource:
    """Everything a bundle holds, read from the case database, the raw topics and the attachment store."""

    case: Case
    alerts: Sequence[Mapping[str, Any]]
    history: Sequence[HistoryEntry]
    evidence_topics: Sequence[str]
    queries: Sequence[EvidenceQuery]
    evidence: Sequence[EvidenceRecord]
    attachments: Mapping[str, bytes | None]
    exported_at: datetime
    exporter: str


def evidence_queries(alerts: Sequence[Alert], *, lookback: timedelta) -> list[EvidenceQuery]:
    """One query per school: its alerts' evidence, published before detection.

    An event reaches Kafka before a detector can cite it, so detection time bounds the search
    from above. From below, the cited events span at most the rule's window, and they may have
    arrived up to ``lookback`` before that (late or batched sources).
    """
    by_school: dict[str | None, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_school[alert.school_id].append(alert)
    return [
        EvidenceQuery(
            school_id=school_id,
            event_ids=frozenset(i for alert in group for i in alert.evidence_event_ids),
            since=min(alert.detected_at - _span(alert) - lookback for alert in group),
            until=max(alert.detected_at for alert in group) + CLOCK_SLACK,
        )
        for school_id, group in sorted(by_school.items(), key=lambda item: item[0] or "")
    ]


def build_bundle(source: BundleSource, *, signing_key: bytes | None = None) -> dict[str, bytes]:
    """The bundle's files (name → content); signed when ``signing_key`` is given."""
    files = {
        ALERTS: jsonl(source.alerts),
        HISTORY: jsonl(entry.record() for entry in source.history),
        EVIDENCE: jsonl(record.record() for record in source.evidence),
        README: README_TEXT.encode(),
    }
    attachments = attachment_list(source.history)
    for item in attachments:
        content = source.attachments.get(item["sha256"])
        if content is not None:
            files[ATTACHMENTS_DIR + item["sha256"]] = content
    missing = missing_evidence(source.alerts, source.evidence)
    manifest = {
        "format": BUNDLE_FORMAT,
        "case_id": source.case.id,
        "exported_at": _time(source.exported_at),
        "exporter": source.exporter,
        "case": case_record(source.case),
        "counts": {
            "alerts": len(source.alerts),
            "history_entries": len(source.history),
            "evidence_found": len(source.evidence),
            "evidence_missing": len(missing),
            "attachments": len(attachments),
        },
        "rules_config_hashes": rules_config_hashes(source.alerts),
        "evidence": {
            "topics": list(source.evidence_topics),
            "searched": [_query_record(query) for query in source.queries],
            "missing": missing,
        },
        "attachments": [
            {**item, "included": ATTACHMENTS_DIR + item["sha256"] in files} for item in attachments
        ],
        "files": {name: sha256_hex(content) for name, content in sorted(files.items())},
    }
    files[MANIFEST] = manifest_bytes(manifest)
    if signing_key is not None:
        files[SIGNATURE] = f"{SIGNATURE_PREFIX}{sign(files[MANIFEST], signing_key)}\n".encode()
    files[SUMS] = "".join(
        f"{sha256_hex(content)}  {name}\n" for name, content in sorted(files.items())
    ).encode()
    return files


def case_record(case: Case) -> dict[str, Any]:
    """The case row as the database holds it, ``chain_head`` and ``history_count`` included."""
    return {
        "id": case.id,
        "school_id": case.key.school_id,
        "district_id": case.district_id,
        "rule_id": case.key.rule_id,
        "subject": {"kind": case.key.subject.kind.value, "id": case.key.subject.id},
        "risk_area": case.risk_area.value,
        "severity": case.severity.value,
        "title_zh": case.title_zh,
        "title_en": case.title_en,
        "state": case.state.value,
        "resolution": case.resolution.value if case.resolution else None,
        "routed_to_district": case.routed_to_district,
        "linked_case_id": case.linked_case_id,
        "assignee": case.assignee,
        "opened_at": _time(case.opened_at),
        "first_alert_at": _time(case.first_alert_at),
        "last_alert_at": _time(case.last_alert_at),
        "alert_count": case.alert_count,
        "stage_entered_at": _time(case.stage_entered_at),
        "stage_seq": case.stage_seq,
        "deadline_at": _time(case.deadline_at),
        "terminal_at": _time(case.terminal_at),
        "history_count": case.history_count,
        "chain_head": case.chain_head,
    }


def attachment_list(history: Sequence[HistoryEntry]) -> list[dict[str, Any]]:
    """Every attachment named in the history, with the entry that attached it."""
    return [
        {"seq": entry.seq, "name": attachment.name, "sha256": attachment.sha256}
        for entry in history
        for attachment in entry.attachments
    ]


def missing_evidence(
    alerts: Sequence[Mapping[str, Any]], evidence: Sequence[EvidenceRecord]
) -> list[str]:
    """The events the alerts cite that were not found."""
    cited = {event_id for alert in alerts for event_id in alert["evidence_event_ids"]}
    return sorted(cited - {record.event_id for record in evidence})


def rules_config_hashes(alerts: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted({alert["rules_config_hash"] for alert in alerts})


def jsonl(records: Iterable[Mapping[str, Any]]) -> bytes:
    return b"".join(canonical_json(record) + b"\n" for record in records)


def manifest_bytes(manifest: Mapping[str, Any]) -> bytes:
    """Indented for people to read; sorted, so the same manifest always gives the same bytes."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def sign(manifest: bytes, key: bytes) -> str:
    return hmac.new(key, manifest, hashlib.sha256).hexdigest()


def _query_record(query: EvidenceQuery) -> dict[str, Any]:
    return {
        "school_id": query.school_id,
        "since": _time(query.since),
        "until": _time(query.until),
        "event_ids": sorted(query.event_ids),
    }


def _span(alert: Alert) -> timedelta:
    return alert.window.end - alert.window.start if alert.window else timedelta(0)


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")
