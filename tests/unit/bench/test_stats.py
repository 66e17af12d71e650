import pytest

from bench.stats import percentile


def test_p99_of_a_hundred_values_is_the_second_largest_not_the_maximum():
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 1.0) == 100.0


def test_a_single_value_is_every_percentile():
    assert percentile([7.0], 0.01) == percentile([7.0], 0.99) == 7.0


def test_no_values_is_an_error():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.99)
