"""Prometheus metrics plumbing shared by the services.

Each long-running service owns a ``CollectorRegistry`` (never the global one, so
tests and several services in one process do not collide) and serves it on its
own port under ``/metrics``. Metric names follow Prometheus conventions:
``qinglian_<service>_<what>_<unit>`` with ``_total`` for counters and
``_seconds`` / ``_bytes`` for units.

A service that runs several worker processes (the push API) uses
prometheus-client's multiprocess mode instead: ``multiprocess_metrics()`` gives the
workers a fresh directory (``PROMETHEUS_MULTIPROC_DIR``) where each writes its
samples, and the serving process sums them. Counters and histograms sum across
workers; the standard process_* metrics (memory, CPU) then describe the serving
process and its workers together (``ProcessTreeCollector``), so the dashboards'
memory and CPU panels keep one series per service.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry, ProcessCollector, multiprocess, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from qinglian.errors import PortInUse

MULTIPROCESS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def new_registry() -> CollectorRegistry:
    """A service's own registry, with the standard process_* metrics (memory, CPU, file descriptors)."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    return registry


@contextmanager
def multiprocess_metrics() -> Iterator[CollectorRegistry]:
    """A registry summing the samples of every worker process started inside the block.

    The workers must be new processes (spawned, not forked from a process that already
    imported prometheus_client): the library picks the multiprocess value store when it
    is imported, from the environment variable set here. The directory starts empty and
    is removed afterwards, so counters start at zero with each run, as they do in one process.
    """
    with tempfile.TemporaryDirectory(prefix="qinglian-metrics-") as directory:
        previous = os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE)
        os.environ[MULTIPROCESS_DIRECTORY_VARIABLE] = directory
        registry = CollectorRegistry(auto_describe=True)
        multiprocess.MultiProcessCollector(registry, path=directory)
        registry.register(ProcessTreeCollector(os.getpid()))
        try:
            yield registry
        finally:
            if previous is None:
                del os.environ[MULTIPROCESS_DIRECTORY_VARIABLE]
            else:
                os.environ[MULTIPROCESS_DIRECTORY_VARIABLE] = previous


class ProcessTreeCollector:
    """``process_resident_memory_bytes`` and ``process_cpu_seconds_total`` of a process and
    its children together, read from /proc (Linux; nothing where /proc is missing)."""

    def __init__(self, pid: int) -> None:
        self._pid = pid

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        stats = [stat for stat in map(_proc_stat, [self._pid, *_children(self._pid)]) if stat]
        if not stats:
            return
        ticks, page = os.sysconf("SC_CLK_TCK"), os.sysconf("SC_PAGE_SIZE")
        yield GaugeMetricFamily(
            "process_resident_memory_bytes",
            "Resident memory of the service's processes, in bytes.",
            value=sum(int(stat[21]) for stat in stats) * page,
        )
        yield CounterMetricFamily(
            "process_cpu_seconds_total",
            "User and system CPU time of the service's processes, in seconds.",
            value=sum(int(stat[11]) + int(stat[12]) for stat in stats) / ticks,
        )


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (state first), or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").glob("[0-9]*"):
        stat = _proc_stat(int(entry.name))
        if stat is not None and int(stat[1]) == pid:
            children.append(int(entry.name))
    return children


def serve_metrics(
    registry: CollectorRegistry, port: int, setting: str, host: str = "127.0.0.1"
) -> None:
    """Serve ``/metrics`` from a background thread; a taken port is a one-line error naming the setting."""
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise PortInUse(
            f"metrics port {port} is in use by another process; free it or set {setting}"
        ) from exc
