"""Push-API workers are separate processes: /metrics must sum what every one of them counted."""

from __future__ import annotations

import multiprocessing
import os

from prometheus_client import generate_latest

from qinglian.metrics import MULTIPROCESS_DIRECTORY_VARIABLE, multiprocess_metrics

SOURCE = "fuling-finance"
VOUCHER = "cn.edu.qinglian.finance.payment_voucher.v1"


def count_in_a_worker(accepted: int) -> None:
    """What one worker records for a batch; runs in a fresh (spawned) process, as uvicorn's workers do."""
    from qinglian.metrics import new_registry
    from services.ingest.adapters.metrics import IngestMetrics

    metrics = IngestMetrics(new_registry())
    metrics.received(SOURCE, VOUCHER, accepted + 1)
    metrics.result(SOURCE, VOUCHER, "accepted", accepted)
    metrics.result(SOURCE, VOUCHER, "rejected")
    metrics.deadlettered("push", "type")
    metrics.push_duration.observe(0.05)


def run_workers(*accepted: int) -> None:
    spawn = multiprocessing.get_context("spawn")
    workers = [spawn.Process(target=count_in_a_worker, args=(count,)) for count in accepted]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0


def test_the_serving_registry_sums_every_worker_process() -> None:
    with multiprocess_metrics() as registry:
        run_workers(300, 200)

        def sample(name: str, **labels: str) -> float | None:
            return registry.get_sample_value(name, labels)

        voucher = {"source": SOURCE, "type": VOUCHER}
        assert sample("qinglian_ingest_events_received_total", **voucher) == 502
        assert sample("qinglian_ingest_events_total", **voucher, result="accepted") == 500
        assert sample("qinglian_ingest_events_total", **voucher, result="rejected") == 2
        assert sample("qinglian_ingest_events_total", **voucher, result="duplicate") == 0, (
            "every outcome's series starts at zero, in every worker"
        )
        assert sample("qinglian_ingest_deadletters_total", stage="push", reason="type") == 2
        assert sample("qinglian_ingest_push_request_duration_seconds_count") == 2
        assert b"qinglian_ingest_events_total" in generate_latest(registry)


def test_each_run_starts_from_zero_and_leaves_the_environment_as_it_was() -> None:
    with multiprocess_metrics() as first:
        run_workers(1)
        assert first.get_sample_value("qinglian_ingest_push_request_duration_seconds_count") == 1
    with multiprocess_metrics() as second:
        assert (
            second.get_sample_value("qinglian_ingest_push_request_duration_seconds_count") is None
        )
    assert MULTIPROCESS_DIRECTORY_VARIABLE not in os.environ
