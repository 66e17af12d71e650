"""The rate limiter, the connector metrics and `pull status`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest

from qinglian.metrics import new_registry
from services.ingest.connectors.adapters.metrics import ConnectorMetrics
from services.ingest.connectors.domain.checkpoint import Checkpoint, SavedCheckpoint
from services.ingest.connectors.service_layer.status import status_lines
from services.ingest.connectors.sources.ratelimit import RateLimiter
from services.ingest.domain.results import ItemResult, ItemStatus

NOW = datetime(2024, 9, 2, 8, 0, tzinfo=UTC)


class TestRateLimiter:
    def test_requests_are_spaced_evenly_and_pauses_do_not_buy_a_burst(self) -> None:
        now, sleeps = [0.0], []

        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            now[0] += seconds

        limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
        limiter.acquire()
        limiter.acquire()
        limiter.acquire()
        assert sleeps == [0.25, 0.25]
        now[0] += 10
        limiter.acquire()
        limiter.acquire()
        assert sleeps == [0.25, 0.25, 0.25]

    def test_a_rate_must_be_positive(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            RateLimiter(0)


class TestMetrics:
    def test_records_last_success_and_lag_computed_at_scrape_time(self) -> None:
        registry, clock = new_registry(), [NOW]
        metrics = ConnectorMetrics(registry, clock=lambda: clock[0])
        metrics.recorded(
            "canteen",
            [ItemResult(0, "a", ItemStatus.ACCEPTED), ItemResult(1, "b", ItemStatus.REJECTED)],
        )
        metrics.watermark("canteen", NOW - timedelta(minutes=5))
        metrics.watermark(
            "canteen", NOW - timedelta(minutes=10)
        )  # an older stream does not pull the watermark back
        metrics.succeeded("canteen", NOW)
        sample = registry.get_sample_value
        assert (
            sample(
                "qinglian_ingest_connector_records_total",
                {"connector": "canteen", "result": "accepted"},
            )
            == 1
        )
        assert (
            sample(
                "qinglian_ingest_connector_records_total",
                {"connector": "canteen", "result": "rejected"},
            )
            == 1
        )
        assert (
            sample(
                "qinglian_ingest_connector_last_success_timestamp_seconds", {"connector": "canteen"}
            )
            == NOW.timestamp()
        )
        assert sample("qinglian_ingest_connector_lag_seconds", {"connector": "canteen"}) == 300
        clock[0] = NOW + timedelta(minutes=1)
        assert sample("qinglian_ingest_connector_lag_seconds", {"connector": "canteen"}) == 360, (
            "a stuck connector's lag grows"
        )
        assert b"# TYPE qinglian_ingest_connector_lag_seconds gauge" in generate_latest(registry)


def saved(
    connector: str, stream: str, position: dict[str, object], minutes_ago: int | None
) -> SavedCheckpoint:
    watermark = NOW - timedelta(minutes=minutes_ago) if minutes_ago is not None else None
    return SavedCheckpoint(connector, Checkpoint(stream, position, watermark), NOW)


def test_status_lists_streams_sums_up_files_and_shows_connectors_that_never_ran() -> None:
    lines = status_lines(
        [
            saved(
                "canteen", "st_meal_fee_payment", {"updated_at": "2024-09-02T15:55:00", "key": 7}, 5
            ),
            saved("xueji", "attendance", {"cursor": "c9", "delivered": ["id-1", "id-2"]}, 1),
            saved("drop", "file:aa", {"file": "a.csv", "state": "done", "report": []}, 30),
            saved(
                "drop", "file:bb", {"file": "b.csv", "state": "done", "report": [{"row": 3}]}, 20
            ),
        ],
        ["canteen", "drop", "ocds", "xueji"],
        NOW,
    )
    assert [(line.connector_id, line.stream, line.lag_seconds) for line in lines] == [
        ("canteen", "st_meal_fee_payment", 300),
        ("drop", "files", 1200),
        ("ocds", "-", None),
        ("xueji", "attendance", 60),
    ]
    assert lines[0].position == "updated_at=2024-09-02T15:55:00, key=7"
    assert lines[1].position.startswith("2 file(s): done 1, rejected 1; last ")
    assert lines[2].as_dict()["position"] == "从未拉取 / never pulled"
    assert lines[3].position == "cursor=c9, delivered=2 ids"  # a REST page's ids, by their count
