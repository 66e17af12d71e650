"""The hypervisor's share of the CPU time, from /proc/stat samples."""

from __future__ import annotations

import pytest

from bench.machine import CpuSample, Steal, StealSampler, steal_between


def test_steal_is_the_share_of_all_cpu_time_and_its_peak_the_worst_interval() -> None:
    samples = [CpuSample(0.0, 0.0), CpuSample(0.1, 2.0), CpuSample(0.7, 4.0), CpuSample(0.7, 6.0)]
    assert steal_between(samples) == Steal(pytest.approx(0.7 / 6.0), pytest.approx(0.3))


def test_samples_without_elapsed_time_count_for_nothing() -> None:
    assert steal_between([CpuSample(1.0, 5.0), CpuSample(1.0, 5.0)]) == Steal(0.0, 0.0)
    with pytest.raises(ValueError, match="two samples"):
        steal_between([CpuSample(0.0, 0.0)])


@pytest.mark.parametrize("interval", [0.01, 60.0])
def test_the_sampler_reads_this_machine(interval: float) -> None:
    with StealSampler(interval=interval) as sampler:
        sum(range(2_000_000))
    steal = sampler.steal()
    assert 0.0 <= steal.mean <= 1.0 and 0.0 <= steal.peak <= 1.0
    assert "hypervisor steal" in sampler.line()
