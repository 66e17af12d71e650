"""Consumer lag from committed and end offsets."""

from __future__ import annotations

from kafka import TopicPartition

from qinglian.lag import consumer_lag

A0, A1, A2 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("a", 2)


def test_lag_is_end_minus_committed_and_counts_from_the_log_start_when_nothing_is_committed() -> None:
    lag = consumer_lag(committed={A0: 7, A1: 10}, beginning={A0: 0, A1: 0, A2: 4}, end={A0: 10, A1: 10, A2: 9})
    assert lag == {A0: 3, A1: 0, A2: 5}


def test_lag_is_never_negative() -> None:
    assert consumer_lag(committed={A0: 12}, beginning={A0: 0}, end={A0: 10}) == {A0: 0}
