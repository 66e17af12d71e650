"""Consumer lag from committed and end offsets, and a worker's share of it."""

from __future__ import annotations

from faust.types import TP
from kafka import TopicPartition

from qinglian.lag import consumer_lag
from qinglian.metrics import new_registry
from services.detectors.runtime.metrics import DetectorMetrics

A0, A1, A2 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("a", 2)


def test_lag_is_end_minus_committed_and_counts_from_the_log_start_when_nothing_is_committed() -> (
    None
):
    lag = consumer_lag(
        committed={A0: 7, A1: 10}, beginning={A0: 0, A1: 0, A2: 4}, end={A0: 10, A1: 10, A2: 9}
    )
    assert lag == {A0: 3, A1: 0, A2: 5}


def test_lag_is_never_negative() -> None:
    assert consumer_lag(committed={A0: 12}, beginning={A0: 0}, end={A0: 10}) == {A0: 0}


def test_a_workers_backlog_is_the_lag_of_the_partitions_assigned_to_it() -> None:
    registry = new_registry()
    metrics = DetectorMetrics(registry)
    lag = {A0: 3, A1: 0, A2: 5, TopicPartition("b", 0): 7}
    metrics.observe_lag(lag)
    assert (
        registry.get_sample_value("qinglian_detectors_backlog_messages") == 0
    )  # nothing assigned yet

    metrics.observe_assignment([TP("a", 0), TP("a", 2), TP("a-changelog", 0)])
    metrics.observe_lag(lag)
    assert registry.get_sample_value("qinglian_detectors_backlog_messages") == 8
