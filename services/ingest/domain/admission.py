"""Admission of one received item: is it a valid event this source may publish?"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from contracts import registry
from contracts.errors import ContractViolation, UnknownEventType
from qinglian.topics import DOMAINS
from services.ingest.domain.results import (
    DOMAIN_NOT_INGESTED,
    NOT_AN_OBJECT,
    SOURCE_SCHOOL_NOT_ALLOWED,
    SOURCE_TYPE_NOT_ALLOWED,
    Reason,
)
from services.ingest.domain.sources import SourceSystem


@dataclass(frozen=True, slots=True)
class Verdict:
    index: int
    item: object
    event_id: str | None
    event_type: str | None  # only a registered type, so metric labels stay bounded
    domain: str | None
    reasons: tuple[Reason, ...]

    @property
    def admitted(self) -> bool:
        return not self.reasons

    @property
    def event(self) -> dict[str, object]:
        assert isinstance(self.item, dict), "only admitted items are events"
        return self.item


def admit(index: int, item: object, source: SourceSystem) -> Verdict:
    if not isinstance(item, Mapping):
        reason = Reason("", NOT_AN_OBJECT, "事件须为 JSON 对象 / an event must be a JSON object")
        return Verdict(index, item, None, None, None, (reason,))
    event_id = item.get("id") if isinstance(item.get("id"), str) else None
    raw_type = item.get("type")
    domain = _domain(raw_type)
    event_type = raw_type if domain is not None else None
    refusal = domain_refusal(domain) if domain is not None else None
    reasons = (
        *((refusal,) if refusal else ()),
        *_permission_reasons(item, source),
        *_contract_reasons(item),
    )
    return Verdict(index, item, event_id, event_type, domain, reasons)


def domain_refusal(domain: str) -> Reason | None:
    """Why no source may send events of this domain through ingest, or None if it may.

    Ingest publishes the schools' events, one raw topic per domain. Alerts (and any other
    domain without a raw topic) are raised by the detectors alone, whatever a source's
    registered type patterns say.
    """
    if domain in DOMAINS:
        return None
    return Reason(
        "type",
        DOMAIN_NOT_INGESTED,
        f"{domain} 域的事件只由检测器发布，不经数据接入 / events of the {domain} domain are "
        "published by the detectors only, never through ingest; "
        f"ingest accepts {', '.join(DOMAINS)} events",
    )


def _domain(event_type: object) -> str | None:
    if not isinstance(event_type, str):
        return None
    try:
        return registry.domain_of(event_type)
    except UnknownEventType:
        return None


def _contract_reasons(event: Mapping[str, object]) -> tuple[Reason, ...]:
    try:
        registry.validate(dict(event))
    except ContractViolation as violation:
        return tuple(Reason(v.path, v.rule, v.message) for v in violation.violations)
    return ()


def _permission_reasons(event: Mapping[str, object], source: SourceSystem) -> tuple[Reason, ...]:
    reasons: list[Reason] = []
    event_type, school_id = event.get("type"), event.get("schoolid")
    if isinstance(event_type, str) and not source.may_publish_type(event_type):
        reasons.append(
            Reason(
                "type",
                SOURCE_TYPE_NOT_ALLOWED,
                f"来源无权发布此类型 / source '{source.source_id}' "
                f"is not registered for type {event_type}",
            )
        )
    if isinstance(school_id, str) and not source.may_publish_school(school_id):
        reasons.append(
            Reason(
                "schoolid",
                SOURCE_SCHOOL_NOT_ALLOWED,
                f"来源无权发布此学校 / source '{source.source_id}' "
                f"is not registered for school {school_id}",
            )
        )
    return tuple(reasons)
