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
workers; the standard process_* metrics are not exported then, since they would
describe the serving process alone.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, ProcessCollector, multiprocess, start_http_server

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
        try:
            yield registry
        finally:
            if previous is None:
                del os.environ[MULTIPROCESS_DIRECTORY_VARIABLE]
            else:
                os.environ[MULTIPROCESS_DIRECTORY_VARIABLE] = previous


def serve_metrics(registry: CollectorRegistry, port: int, setting: str, host: str = "127.0.0.1") -> None:
    """Serve ``/metrics`` from a background thread; a taken port is a one-line error naming the setting."""
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise PortInUse(f"metrics port {port} is in use by another process; free it or set {setting}") from exc
