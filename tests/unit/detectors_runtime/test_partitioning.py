"""Changelog and repartition partitions agree with the producers' partitioner."""

from __future__ import annotations

import random

import pytest
from kafka.partitioner.default import DefaultPartitioner

from qinglian.broker import key_partition
from services.detectors.runtime.partitioning import (
    declaration_key,
    partition_for,
    routing_key,
    state_partition,
)


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
def test_school_keys_route_by_school_and_global_keys_by_the_whole_key(
    state_key: str, expected: str
) -> None:
    assert routing_key(state_key) == expected


def test_the_c_murmur2_partitions_every_key_as_kafka_python_does() -> None:
    generator = random.Random(7)
    partitions = list(range(12))
    for length in range(200):
        key = generator.randbytes(length)
        assert key_partition(key, 12) == DefaultPartitioner()(key, partitions, partitions)


@pytest.mark.parametrize(
    "state_key", ["500102001|day|2024-09-02", "global|person|P7", "global|ocds|500102#3"]
)
def test_a_state_key_lives_in_the_partition_of_its_routing_key(state_key: str) -> None:
    assert state_partition(state_key, 6) == partition_for(routing_key(state_key), 6)


def test_the_declarations_held_for_a_partition_live_in_that_partition() -> None:
    assert [state_partition(declaration_key(partition), 6) for partition in range(6)] == list(
        range(6)
    )
