"""Prometheus metrics plumbing shared by the services.

Each long-running service owns a ``CollectorRegistry`` (never the global one, so
tests and several services in one process do not collide) and serves it on its
own port under ``/metrics``. Metric names follow Prometheus conventions:
``qinglian_<service>_<what>_<unit>`` with ``_total`` for counters and
``_seconds`` / ``_bytes`` for units.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, ProcessCollector, start_http_server

from qinglian.errors import PortInUse


def new_registry() -> CollectorRegistry:
    """A service's own registry, with the standard process_* metrics (memory, CPU, file descriptors)."""
    registry = CollectorRegistry(auto_describe=True)
    ProcessCollector(registry=registry)
    return registry


def serve_metrics(registry: CollectorRegistry, port: int, setting: str, host: str = "127.0.0.1") -> None:
    """Serve ``/metrics`` from a background thread; a taken port is a one-line error naming the setting."""
    try:
        start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise PortInUse(f"metrics port {port} is in use by another process; free it or set {setting}") from exc
