"""Changelog and repartition partitions agree with the producers' partitioner."""

from __future__ import annotations

import random

import pytest
from kafka.partitioner.default import DefaultPartitioner

from qinglian.broker import key_partition
from services.detectors.runtime.partitioning import partition_for, routing_key


@pytest.mark.parametrize("key", ["500102001", "500102000042", "global|person|P7", "学校-1"])
def test_partition_matches_kafka_python_default_partitioner(key: str) -> None:
    partitions = list(range(6))
    assert partition_for(key, 6) == DefaultPartitioner()(key.encode(), partitions, partitions)


@pytest.mark.parametrize(
    ("state_key", "expected"),
    [
        ("500102001|day|2024-09-02", "500102001"),
        ("500102001", "500102001"),
        ("global|person|P7", "global|person|P7"),
        ("500102001|attendance#2024-09", "500102001"),
        ("global|ocds|500102#3", "global|ocds|500102"),
    ],
)
def test_school_keys_route_by_school_and_global_keys_by_the_whole_key(state_key: str, expected: str) -> None:
    assert routing_key(state_key) == expected


def test_the_c_murmur2_partitions_every_key_as_kafka_python_does() -> None:
    generator = random.Random(7)
    partitions = list(range(12))
    for length in range(200):
        key = generator.randbytes(length)
        assert key_partition(key, 12) == DefaultPartitioner()(key, partitions, partitions)
