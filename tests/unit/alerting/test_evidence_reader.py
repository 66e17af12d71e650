"""The raw-topic evidence reader: the partition it reads, and how an unreachable Kafka is reported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from kafka.partitioner.default import DefaultPartitioner

from qinglian.settings import Settings
from services.alerting.adapters.evidence_reader import KafkaEvidenceReader, partition_for
from services.alerting.domain.audit_bundle import EvidenceQuery
from services.alerting.errors import EvidenceUnavailable


@pytest.mark.parametrize("school_id", ["500102001", "500102002", "110108019", "学校-1"])
@pytest.mark.parametrize("partitions", [1, 3, 6, 12])
def test_a_school_is_read_where_the_producers_put_it(school_id: str, partitions: int) -> None:
    every = list(range(partitions))
    assert partition_for(school_id, partitions) == DefaultPartitioner()(
        school_id.encode(), every, every
    )


def test_the_raw_topics_of_every_domain_are_searched() -> None:
    reader = KafkaEvidenceReader(Settings(topic_prefix="district7"))
    assert reader.topics == (
        "district7.raw.canteen",
        "district7.raw.procurement",
        "district7.raw.enrollment",
        "district7.raw.finance",
    )


def test_an_unreachable_kafka_is_reported_not_taken_for_missing_evidence() -> None:
    reader = KafkaEvidenceReader(Settings(kafka_bootstrap_servers="127.0.0.1:9"))
    now = datetime.now(UTC)
    with pytest.raises(EvidenceUnavailable, match="cannot read the raw topics"):
        reader.find([EvidenceQuery("500102001", frozenset({"ev-1"}), now, now)])
