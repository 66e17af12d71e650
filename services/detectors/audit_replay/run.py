"""Running a replay: read the range once, run the live configuration (and a candidate) over the
same records, read what the live detectors recorded, and build the report.

The rules run in the runtime's ``AllRulesDetector``: the same decoding and the
same engine as a live worker, every rule in one engine over an in-memory store.
Pending windows are not flushed at the end of the read: a live worker never
declares its input complete either, so a window still open when the read ends
has raised nothing on either side.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from qinglian.settings import Settings
from qinglian.topics import DOMAINS, clock_topic, raw_topic
from services.detectors.audit_replay.report import ReadStats, ReplayReport, build_report
from services.detectors.audit_replay.selection import (
    AuditScope,
    select_domains,
    select_rules,
    select_schools,
)
from services.detectors.audit_replay.timerange import AuditRange
from services.detectors.core.config import RuleSet, load_rule_set
from services.detectors.errors import RuleEvaluationError, StepQuarantinedError
from services.detectors.runtime.process_memory import collect_long_lived_state_less_often
from services.detectors.runtime.processor import AllRulesDetector
from services.detectors.runtime.records import Record

BATCH = 2000


@dataclass(slots=True)
class LiveAlerts:
    alerts: list[dict[str, Any]] = field(default_factory=list)
    records: int = 0
    unreadable: int = 0
    """Records on the alerts topic that are not alert CloudEvents (reported, not fatal)."""


class Sources(Protocol):
    def records(
        self, topics: Sequence[str], *, start: datetime | None, end: datetime | None
    ) -> Iterator[Record]: ...

    def count(
        self, topics: Sequence[str], *, start: datetime | None, end: datetime | None
    ) -> int: ...

    def live_alerts(self, *, since: datetime) -> LiveAlerts: ...

    def quarantined(self) -> Collection[str]:
        """Labels of the rule steps the live workers skip (``quarantine``): the replay skips them too."""
        ...


class Progress(Protocol):
    def update(self, n: int) -> Any: ...


ProgressFactory = Callable[[int], AbstractContextManager[Progress]]
"""Given the number of records to read, a progress display to update as they are replayed."""


@dataclass(frozen=True, slots=True)
class Configuration:
    rule_set: RuleSet
    source: str


@dataclass(frozen=True, slots=True)
class ReplayRequest:
    scope: AuditScope
    topics: tuple[str, ...]
    baseline: Configuration
    """The configuration the live detectors run."""
    candidate: Configuration | None = None
    clock_topic: str | None = None
    """Read with ``topics``: the declarations of event time the live workers read."""


def plan_request(
    settings: Settings,
    audit_range: AuditRange,
    *,
    topics: Sequence[str] = (),
    schools: Sequence[str] = (),
    rules: Sequence[str] = (),
    live_rules: Path | None = None,
    live_district: Path | None = None,
    candidate_rules: Path | None = None,
    candidate_district: Path | None = None,
) -> ReplayRequest:
    """The request for the CLI's options; the candidate's files default to the live ones."""
    topics_by_domain = {domain: raw_topic(settings, domain) for domain in DOMAINS}
    domains = select_domains(topics, topics_by_domain)
    baseline = select_rules(load_rule_set(live_rules, live_district), rules, domains)
    candidate = None
    if candidate_rules is not None or candidate_district is not None:
        rules_file, district_file = (
            candidate_rules or live_rules,
            candidate_district or live_district,
        )
        selected = select_rules(
            load_rule_set(rules_file, district_file), [c.rule_id for c in baseline.rules], domains
        )
        candidate = Configuration(selected, describe_source(rules_file, district_file))
    return ReplayRequest(
        scope=AuditScope(
            audit_range, frozenset(c.rule_id for c in baseline.rules), select_schools(schools)
        ),
        topics=(*(topics_by_domain[domain] for domain in domains), clock_topic(settings)),
        baseline=Configuration(baseline, describe_source(live_rules, live_district)),
        candidate=candidate,
        clock_topic=clock_topic(settings),
    )


def describe_source(rules_file: Path | None, district_file: Path | None) -> str:
    source = str(rules_file) if rules_file else "rules.toml (内置 / shipped)"
    return f"{source} + {district_file}" if district_file else source


def run_replay(
    request: ReplayRequest,
    sources: Sources,
    *,
    progress: ProgressFactory,
    now: datetime,
) -> ReplayReport:
    audit_range = request.scope.audit_range
    rule_errors: list[RuleEvaluationError] = []
    collect_long_lived_state_less_often()
    skipped = frozenset(sources.quarantined())
    detectors = [
        AllRulesDetector(
            configuration.rule_set,
            on_rule_error=rule_errors.append,
            clock_topic=request.clock_topic,
            skipped=skipped,
        )
        for configuration in (request.baseline, request.candidate)
        if configuration is not None
    ]
    raised: list[list[dict[str, Any]]] = [[] for _ in detectors]
    records = events = rejected = 0
    total = sources.count(request.topics, start=audit_range.read_start, end=audit_range.read_end)
    started = time.perf_counter()
    with progress(total) as bar:
        read = sources.records(
            request.topics, start=audit_range.read_start, end=audit_range.read_end
        )
        for batch in _batches(read, BATCH):
            results = [detector.process(batch, detected_at=now) for detector in detectors]
            for result, alerts in zip(results, raised, strict=True):
                alerts.extend(item.alert.to_dict() for item in result.alerts)
            records += len(batch)
            events += len(results[0].processed_types)
            rejected += len(results[0].rejected)
            bar.update(len(batch))
    seconds = time.perf_counter() - started
    live = sources.live_alerts(since=audit_range.start)
    return build_report(
        generated_at=now,
        scope=request.scope,
        topics=request.topics,
        baseline=request.baseline.rule_set,
        baseline_source=request.baseline.source,
        candidate=request.candidate.rule_set if request.candidate else None,
        candidate_source=request.candidate.source if request.candidate else "",
        live=live.alerts,
        replayed=raised[0],
        candidate_alerts=raised[1] if request.candidate else None,
        stats=ReadStats(
            records,
            events,
            rejected,
            len(rule_errors),
            seconds,
            live.records,
            live.unreadable,
            tuple(
                sorted(
                    {
                        e.cause.label
                        for e in rule_errors
                        if isinstance(e.cause, StepQuarantinedError)
                    }
                )
            ),
        ),
    )


def _batches(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
