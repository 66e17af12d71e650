"""What the machine did during a measurement: the CPU time its hypervisor took ("steal").

On a shared virtual machine the hypervisor runs other guests on our cores now and then; the
time it takes shows up as ``steal`` in /proc/stat (vmstat's ``st``). Latency tails on this
machine followed it, so a benchmark prints it beside the figures it affects.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import psutil

_NOT_TIME_OF_ITS_OWN = ("guest", "guest_nice")  # already counted in user and nice


@dataclass(frozen=True, slots=True)
class CpuSample:
    steal: float
    total: float

    @classmethod
    def now(cls) -> CpuSample:
        times = psutil.cpu_times()._asdict()
        total = sum(value for name, value in times.items() if name not in _NOT_TIME_OF_ITS_OWN)
        return cls(times.get("steal", 0.0), total)


@dataclass(frozen=True, slots=True)
class Steal:
    mean: float  # share of all CPU time over the whole span
    peak: float  # largest share in one sampling interval


def steal_between(samples: Sequence[CpuSample]) -> Steal:
    """The hypervisor's share of the CPU time between the first and last sample, and its peak."""
    if len(samples) < 2:
        raise ValueError("need at least two samples")
    shares = [
        (later.steal - earlier.steal) / (later.total - earlier.total)
        for earlier, later in itertools.pairwise(samples)
        if later.total > earlier.total
    ]
    elapsed = samples[-1].total - samples[0].total
    mean = (samples[-1].steal - samples[0].steal) / elapsed if elapsed > 0 else 0.0
    return Steal(mean, max(shares, default=0.0))


class StealSampler:
    """Samples the CPU times every ``interval`` seconds while the block runs."""

    def __init__(self, interval: float = 1.0) -> None:
        self._interval = interval
        self._samples: list[CpuSample] = []  # one every interval: the peak is over whole ones
        self._end: CpuSample | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="steal-sampler", daemon=True)

    def __enter__(self) -> Self:
        self._samples.append(CpuSample.now())
        self._thread.start()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._end = CpuSample.now()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._samples.append(CpuSample.now())

    def steal(self) -> Steal:
        assert self._end is not None, "read after the block"
        whole = steal_between([self._samples[0], self._end])
        if len(self._samples) < 2:  # shorter than one interval
            return whole
        return Steal(whole.mean, steal_between(self._samples).peak)

    def line(self) -> str:
        steal = self.steal()
        return f"hypervisor steal {steal.mean:.1%} of the CPU time, {steal.peak:.0%} at most in one second"
