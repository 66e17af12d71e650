"""With several worker processes, process_* metrics describe the serving process and its
workers together, so a service's memory and CPU panels still show the whole service."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from qinglian.metrics import ProcessTreeCollector

HOLD_64_MB = "import sys, time; block = bytearray(64 * 1024 * 1024); sys.stdout.write('ready\\n'); sys.stdout.flush(); time.sleep(60)"


def resident_bytes(collector: ProcessTreeCollector) -> float:
    [memory] = [
        family for family in collector.collect() if family.name == "process_resident_memory_bytes"
    ]
    return memory.samples[0].value


def own_resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_a_child_process_memory_is_counted_with_its_parent() -> None:
    collector = ProcessTreeCollector(os.getpid())
    before = resident_bytes(collector)
    child = subprocess.Popen([sys.executable, "-c", HOLD_64_MB], stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        with_child = resident_bytes(collector)
    finally:
        child.kill()
        child.wait()
    assert before >= own_resident_bytes() * 0.9
    assert with_child - before >= 64 * 1024 * 1024
    assert resident_bytes(collector) < with_child  # the child is gone


def test_cpu_time_is_a_counter_of_seconds() -> None:
    [cpu] = [
        family
        for family in ProcessTreeCollector(os.getpid()).collect()
        if family.name == "process_cpu_seconds"
    ]
    assert cpu.type == "counter" and cpu.samples[0].name == "process_cpu_seconds_total"
    assert cpu.samples[0].value > 0
