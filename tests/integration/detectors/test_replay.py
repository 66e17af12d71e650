"""Replay over a Kafka-time range of the raw topics, with a plain consumer and no group."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from qinglian import broker
from qinglian.settings import Settings
from services.detectors.runtime.evaluate import delete_prefix, replay_events
from services.detectors.runtime.reading import ReplayRangeError
from services.detectors.runtime.replay import replay
from tests.integration.detectors.support import isolated
from tests.unit.detectors_runtime.fixture_rules import fixture_rule_set, standard_mix

pytestmark = pytest.mark.integration

KAFKA_DAY_0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def scoped(kafka_settings: Settings) -> Iterator[Settings]:
    settings = isolated(kafka_settings)
    broker.ensure_topics(settings)
    yield settings
    delete_prefix(settings)


def publish_at(settings: Settings, events: list[dict], moment: datetime) -> None:
    producer = broker.durable_producer(settings, client_id="test-replay")
    for event in events:
        topic = settings.topic(f"raw.{event['type'].split('.')[3]}")
        producer.send(
            topic,
            key=event["schoolid"].encode(),
            value=orjson.dumps(event),
            timestamp_ms=int(moment.timestamp() * 1000),
        )
    producer.flush()
    producer.close()


def test_replay_reads_exactly_the_range_and_raises_the_alerts_of_the_engine(
    scoped: Settings,
) -> None:
    days = [standard_mix(8, 1, first_day=day) for day in range(3)]
    for day, events in enumerate(days):
        publish_at(scoped, events, KAFKA_DAY_0 + timedelta(hours=day))
    early, late = days[0], days[1] + days[2]
    now = datetime.now(UTC)

    everything = replay(scoped, fixture_rule_set(), start=None, end=None, detected_at=now)
    assert everything.events == len(early) + len(late)
    reference = replay_events(fixture_rule_set(), early + late, detected_at=now)
    assert {a.alert_id for a in everything.alerts} == {a.alert_id for a in reference.alerts}

    later = replay(
        scoped,
        fixture_rule_set(),
        start=KAFKA_DAY_0 + timedelta(minutes=30),
        end=None,
        detected_at=now,
    )
    assert later.events == len(late)
    first = replay(
        scoped,
        fixture_rule_set(),
        start=None,
        end=KAFKA_DAY_0 + timedelta(minutes=30),
        detected_at=now,
    )
    assert first.events == len(early)
    assert replay(scoped, fixture_rule_set(), start=now, end=None, detected_at=now).events == 0


def test_an_empty_range_is_refused(scoped: Settings) -> None:
    with pytest.raises(ReplayRangeError):
        replay(
            scoped, fixture_rule_set(), start=KAFKA_DAY_0, end=KAFKA_DAY_0, detected_at=KAFKA_DAY_0
        )
