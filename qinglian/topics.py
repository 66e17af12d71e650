"""The Kafka topics Qinglian owns, with their settings: one list, used by the
stack, the services, the deploy files' consistency test and the docs."""

from __future__ import annotations

from dataclasses import dataclass

from qinglian.settings import Settings

DOMAINS = ("canteen", "procurement", "enrollment", "finance")


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    purpose: str
    partitions: int
    replication_factor: int
    config: dict[str, str]


def raw_topic(settings: Settings, domain: str) -> str:
    """Raw, validated, pseudonymized events of one domain; keyed by school id."""
    return settings.topic(f"raw.{domain}")


def clock_topic(settings: Settings) -> str:
    """Declarations that event time has reached a moment (``qinglian detectors clock``): the
    detectors close the windows and deadlines up to it although no event says so (a term break,
    the end of a bounded input). Read with the raw topics, in their partitions, and kept as long."""
    return settings.topic("clock")


def detector_inputs(settings: Settings) -> list[str]:
    """What the detectors read, co-partitioned and merged by time: the raw topics, then the clock topic."""
    return [*(raw_topic(settings, domain) for domain in DOMAINS), clock_topic(settings)]


def deadletter_topic(settings: Settings) -> str:
    return settings.topic("deadletter")


def alerts_topic(settings: Settings) -> str:
    return settings.topic("alerts")


def quarantine_topic(settings: Settings) -> str:
    """Rule steps that hung a detector worker, which every worker and replay skips
    (``services.detectors.runtime.quarantine``); compacted, keyed by the step."""
    return settings.topic("detectors.quarantine")


def topic_specs(settings: Settings) -> list[TopicSpec]:
    def spec(name: str, purpose: str, retention_ms: int) -> TopicSpec:
        return TopicSpec(
            name=name,
            purpose=purpose,
            partitions=settings.topic_partitions,
            replication_factor=settings.topic_replication_factor,
            config={
                "cleanup.policy": "delete",
                "retention.ms": str(retention_ms),
                "retention.bytes": "-1",
                "min.insync.replicas": str(min(2, settings.topic_replication_factor)),
                "message.timestamp.type": "CreateTime",
            },
        )

    raw = [
        spec(
            raw_topic(settings, domain),
            f"{domain} events (the auditors' record)",
            settings.raw_retention_ms,
        )
        for domain in DOMAINS
    ]
    return [
        *raw,
        spec(
            clock_topic(settings),
            "declarations that event time has reached a moment (`qinglian detectors clock`)",
            settings.raw_retention_ms,
        ),
        spec(
            deadletter_topic(settings),
            "rejected events with the reason, for `qinglian dlq`",
            settings.deadletter_retention_ms,
        ),
        spec(
            alerts_topic(settings), "alerts raised by the detectors", settings.alerts_retention_ms
        ),
        TopicSpec(
            name=quarantine_topic(settings),
            purpose="rule steps that hung a detector worker, skipped since (`qinglian detectors quarantine`)",
            partitions=1,
            replication_factor=settings.topic_replication_factor,
            config={
                "cleanup.policy": "compact",
                "min.insync.replicas": str(min(2, settings.topic_replication_factor)),
            },
        ),
    ]
