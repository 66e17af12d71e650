"""KafkaPublisher over a stand-in producer whose records leave only when flushed (a linger
longer than the publish timeout): what the broker acknowledges is decided by each write."""

from __future__ import annotations

from kafka.errors import KafkaTimeoutError

from services.ingest.adapters.kafka_publisher import KafkaPublisher
from services.ingest.service_layer.ports import Message


class _Write:
    def __init__(self) -> None:
        self.delivered = False

    def get(self, timeout: float) -> None:
        if not self.delivered:
            raise KafkaTimeoutError(f"still lingering after {timeout} s")


class LingeringProducer:
    def __init__(self, *, broker_answers: bool = True) -> None:
        self.broker_answers = broker_answers
        self.lingering: list[_Write] = []
        self.flushes = 0

    def send(self, topic: str, *, key: bytes | None, value: bytes, headers: list) -> _Write:
        write = _Write()
        self.lingering.append(write)
        return write

    def flush(self, timeout: float) -> None:
        self.flushes += 1
        if not self.broker_answers:
            raise KafkaTimeoutError("no answer from the broker")
        for write in self.lingering:
            write.delivered = True
        self.lingering.clear()

    def close(self, timeout: float) -> None:
        pass


def messages(count: int) -> list[Message]:
    return [Message("raw.finance", "S1", {"id": str(n)}, cloudevent=True) for n in range(count)]


def test_a_publish_ships_its_writes_at_once_instead_of_waiting_for_the_linger():
    producer = LingeringProducer()
    publisher = KafkaPublisher(lambda: producer, timeout_seconds=0.05)

    assert publisher.publish(messages(3)) == [True, True, True]
    assert producer.flushes == 1


def test_a_flush_without_an_answer_acknowledges_nothing():
    producer = LingeringProducer(broker_answers=False)
    publisher = KafkaPublisher(lambda: producer, timeout_seconds=0.05)

    assert publisher.publish(messages(2)) == [False, False]
