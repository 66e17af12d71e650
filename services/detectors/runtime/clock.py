"""Declaring that event time has reached a moment: one record in every partition of the clock topic.

The detectors' watermark follows the events' own time, so a window or deadline closes only once
an event after it arrives. When the sources go quiet (a term break) or a bounded input ends (an
evaluation), nothing would close them; an operator (or a scheduled job) declares instead that
every source has delivered its events up to a moment. The workers read the declaration with the
raw topics, in the same partitions, and treat it as an event at that moment that no rule sees:
the allowed lateness still applies, and a partition with unread events still holds the watermark
back. A replay reads the clock topic with the raw topics, so it closes the same windows at the
same point of the stream.
"""

from __future__ import annotations

from datetime import datetime

from kafka.errors import KafkaError

from qinglian import broker
from qinglian.errors import BrokerUnavailable
from qinglian.settings import Settings
from qinglian.topics import clock_topic
from services.detectors.runtime.messages import clock_record

SEND_TIMEOUT_SECONDS = 30.0


def declare_clock(settings: Settings, through: datetime) -> int:
    """Write the declaration to every partition of the clock topic (which the caller has made
    sure exists) and wait for the broker's acknowledgement; returns the number of partitions written."""
    value = clock_record(through)
    topic = clock_topic(settings)
    producer = broker.durable_producer(settings, client_id="qinglian-clock")
    try:
        partitions = sorted(producer.partitions_for(topic) or ())
        sent = [producer.send(topic, value=value, partition=partition) for partition in partitions]
        producer.flush(timeout=SEND_TIMEOUT_SECONDS)
        for future in sent:
            future.get(timeout=SEND_TIMEOUT_SECONDS)
    except KafkaError as exc:
        raise BrokerUnavailable(
            f"时钟声明未写入 / the clock declaration was not written to {topic}: {exc}"
        ) from exc
    finally:
        producer.close()
    return len(partitions)
