"""Exporting one case as an audit bundle: row, alerts and history from the database, the cited raw
events from the raw topics, the attached files from the store.

The case row is read first and its history cut at the entry count the row
records: an entry appended while the export runs belongs to the next export, so
the bundle's chain head and count are those of one moment. The alerts are those
the kept entries name. The exported history is checked on the way, and the
result says whether the chain was intact in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from services.alerting.domain.audit_bundle import (
    BundleSource,
    build_bundle,
    evidence_queries,
    missing_evidence,
)
from services.alerting.domain.history import ChainStatus, EntryKind, verify_chain
from services.alerting.service_layer.cases import get_case
from services.alerting.service_layer.ports import AttachmentReader, EvidenceSource
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork

DEFAULT_EVIDENCE_LOOKBACK = timedelta(days=1)
_ALERT_ENTRIES = (EntryKind.OPENED, EntryKind.EVIDENCE_ADDED)


@dataclass(frozen=True, slots=True)
class ExportSources:
    evidence: EvidenceSource
    attachments: AttachmentReader


@dataclass(frozen=True, slots=True)
class CaseExport:
    case_id: str
    files: dict[str, bytes]
    chain: ChainStatus
    evidence_found: int
    evidence_missing: list[str]


def export_case(
    uow: AbstractUnitOfWork,
    case_id: str,
    *,
    sources: ExportSources,
    exported_at: datetime,
    exporter: str,
    lookback: timedelta = DEFAULT_EVIDENCE_LOOKBACK,
    signing_key: bytes | None = None,
) -> CaseExport:
    with uow:
        case = get_case(uow, case_id)
        history = [e for e in uow.cases.history(case_id) if e.seq <= case.history_count]
        alerts = uow.alerts.for_case(case_id)
        payloads = uow.alerts.payloads_for_case(case_id)
    named = {e.details.get("alert_id") for e in history if e.kind in _ALERT_ENTRIES}
    kept = [
        (alert, data)
        for alert, data in zip(alerts, payloads, strict=True)
        if alert.alert_id in named
    ]
    queries = evidence_queries([alert for alert, _ in kept], lookback=lookback)
    evidence = sources.evidence.find(queries)
    stored_alerts = [data for _, data in kept]
    files = build_bundle(
        BundleSource(
            case=case,
            alerts=stored_alerts,
            history=history,
            evidence_topics=sources.evidence.topics,
            queries=queries,
            evidence=evidence,
            attachments={
                a.sha256: sources.attachments.read(a.sha256) for e in history for a in e.attachments
            },
            exported_at=exported_at,
            exporter=exporter,
        ),
        signing_key=signing_key,
    )
    return CaseExport(
        case_id=case_id,
        files=files,
        chain=verify_chain(history, head_hash=case.chain_head, entry_count=case.history_count),
        evidence_found=len(evidence),
        evidence_missing=missing_evidence(stored_alerts, evidence),
    )
