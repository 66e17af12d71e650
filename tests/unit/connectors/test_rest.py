"""The REST connector on httpx.MockTransport: pagination, retries with backoff, refusals, rate limit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.ingest.connectors.domain.spec import RestSpec
from services.ingest.connectors.errors import SourceRefused, SourceUnavailable
from services.ingest.connectors.service_layer.pull import PullSummary, drain
from services.ingest.connectors.sources.rest import RestApiConnector
from services.ingest.connectors.writers.rest_source import RestSourceStore
from tests.unit.connectors.support import Harness, meal_fee, rest_entry, specs

PATH = "/api/v1/meal-fees"
CURSOR = {"style": "cursor"}
PAGES = {"style": "page", "since_param": "updated_since"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def spec_for(tmp_path: Path, pagination: dict[str, Any], **extra: Any) -> RestSpec:
    [spec] = specs(
        tmp_path, rest_entry("xueji-api", "https://xueji.example.edu.cn", pagination, **extra)
    )
    assert isinstance(spec, RestSpec)
    return spec


def serve(store: RestSourceStore) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        status, body = store.answer(request.url.path, dict(request.url.params))
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


def connector(
    spec: RestSpec, transport: httpx.BaseTransport, clock: FakeClock | None = None
) -> RestApiConnector:
    clock = clock or FakeClock()
    built = RestApiConnector(spec, transport=transport, sleep=clock.sleep, clock=clock.monotonic)
    built.setup()
    return built


def pull(
    spec: RestSpec, transport: httpx.BaseTransport, harness: Harness, clock: FakeClock | None = None
) -> PullSummary:
    return drain(connector(spec, transport, clock), harness.deps)


def fill(store: RestSourceStore, spec: RestSpec, numbers: range, version: str) -> None:
    store.add_events(spec.resources[0], [meal_fee(n) for n in numbers], version=version)


def subjects(harness: Harness) -> list[str]:
    return [str(event["subject"]) for event in harness.published()]


class TestCursorPagination:
    def test_pages_are_followed_and_the_last_cursor_is_kept(self, tmp_path: Path) -> None:
        spec, store, harness = spec_for(tmp_path, CURSOR), RestSourceStore(), Harness()
        fill(store, spec, range(1, 6), "2024-09-01T20:00:00")
        summary = pull(spec, serve(store), harness)
        assert subjects(harness) == [f"JF-2024-{n:06d}" for n in range(1, 6)]
        assert [r.get("cursor") for r in store.requests] == [None, "2", "4"]
        last_page = [harness.published()[-1]["id"]]
        assert harness.checkpoints.load("xueji-api")["meal-fees"].position == {
            "cursor": "4",
            "delivered": last_page,
        }
        assert summary.results == {"accepted": 5}

    def test_the_next_pass_rereads_the_last_page_and_sends_only_what_is_new(
        self, tmp_path: Path
    ) -> None:
        spec, store, harness = spec_for(tmp_path, CURSOR), RestSourceStore(), Harness()
        fill(store, spec, range(1, 6), "2024-09-01T20:00:00")
        pull(spec, serve(store), harness)
        fill(store, spec, range(6, 8), "2024-09-01T21:00:00")
        summary = pull(spec, serve(store), harness)
        assert [r.get("cursor") for r in store.requests][3:] == [
            "4",
            "6",
        ]  # the last page again, then on
        assert summary.results == {"accepted": 2}  # item 5, read again, is not sent as a duplicate
        assert len(subjects(harness)) == len(set(subjects(harness))) == 7

    def test_an_idle_source_read_again_sends_nothing(self, tmp_path: Path) -> None:
        spec, store, harness = spec_for(tmp_path, CURSOR), RestSourceStore(), Harness()
        fill(store, spec, range(1, 6), "2024-09-01T20:00:00")
        pull(spec, serve(store), harness)
        for _ in range(3):
            assert pull(spec, serve(store), harness).results == {}
        assert len(harness.published()) == 5


class TestPagePagination:
    def test_pages_by_version_with_the_boundary_read_again(self, tmp_path: Path) -> None:
        spec, store, harness = spec_for(tmp_path, PAGES), RestSourceStore(), Harness()
        fill(store, spec, range(1, 4), "2024-09-01T20:00:00")
        fill(store, spec, range(4, 6), "2024-09-01T20:05:00")
        summary = pull(spec, serve(store), harness)
        assert summary.results == {
            "accepted": 5
        }  # item 4, at the boundary version, is read twice and sent once
        assert [(r["page"], r.get("updated_since")) for r in store.requests] == [
            ("1", None),
            (
                "2",
                "2024-09-01T20:00:00",
            ),  # the first page shares one version: its page 1 was just read
            ("1", "2024-09-01T20:05:00"),
            ("2", "2024-09-01T20:05:00"),
        ]
        assert subjects(harness) == [f"JF-2024-{n:06d}" for n in range(1, 6)]
        checkpoint = harness.checkpoints.load("xueji-api")["meal-fees"]
        boundary = [
            event["id"] for event in harness.published()[3:]
        ]  # the last page read: items 4 and 5
        assert checkpoint.position == {
            "page": 2,
            "since": "2024-09-01T20:05:00",
            "delivered": boundary,
        }
        assert (
            checkpoint.watermark is not None
            and checkpoint.watermark.isoformat() == "2024-09-01T20:05:00+08:00"
        )

    def test_an_updated_record_comes_again_as_a_new_event(self, tmp_path: Path) -> None:
        spec, store, harness = spec_for(tmp_path, PAGES), RestSourceStore(), Harness()
        fill(store, spec, range(1, 3), "2024-09-01T20:00:00")
        pull(spec, serve(store), harness)
        store.add_events(
            spec.resources[0], [meal_fee(1, amount_fen=73000)], version="2024-09-02T08:00:00"
        )
        summary = pull(spec, serve(store), harness)
        assert summary.results["accepted"] == 1
        assert [event["data"]["amount_fen"] for event in harness.published()] == [
            72000,
            72000,
            73000,
        ]


class TestRetries:
    def failing(self, store: RestSourceStore, *failures: object) -> httpx.MockTransport:
        remaining = list(failures)
        inner = serve(store)

        def handle(request: httpx.Request) -> httpx.Response:
            if remaining:
                failure = remaining.pop(0)
                if isinstance(failure, Exception):
                    raise failure
                return httpx.Response(int(str(failure)), json={"error": "down"})
            return inner.handle_request(request)

        return httpx.MockTransport(handle)

    def test_5xx_429_and_timeouts_are_retried_with_exponential_backoff(
        self, tmp_path: Path
    ) -> None:
        spec, store, harness, clock = (
            spec_for(tmp_path, CURSOR),
            RestSourceStore(),
            Harness(),
            FakeClock(),
        )
        fill(store, spec, range(1, 2), "2024-09-01T20:00:00")
        timeout = httpx.ReadTimeout("slow")
        pull(spec, self.failing(store, 503, 429, timeout, 502), harness, clock)
        assert clock.sleeps == [0.5, 1.0, 2.0, 4.0]
        assert subjects(harness) == ["JF-2024-000001"]

    def test_exhausted_retries_fail_the_pass_and_keep_the_checkpoint(self, tmp_path: Path) -> None:
        spec = spec_for(
            tmp_path,
            CURSOR,
            retry={"attempts": 3, "initial_backoff_seconds": 1, "max_backoff_seconds": 1.5},
        )
        store, harness, clock = RestSourceStore(), Harness(), FakeClock()
        with pytest.raises(SourceUnavailable, match="after 3 attempt"):
            pull(spec, self.failing(store, 503, 503, 503), harness, clock)
        assert clock.sleeps == [1.0, 1.5]
        assert harness.checkpoints.saved() == []

    def test_connection_errors_are_retried(self, tmp_path: Path) -> None:
        spec, store, harness = spec_for(tmp_path, CURSOR), RestSourceStore(), Harness()
        pull(spec, self.failing(store, httpx.ConnectError("refused")), harness)
        assert harness.checkpoints.saved() == []  # no records: nothing new to store


class TestRefusals:
    @pytest.mark.parametrize(
        ("answer", "expected"),
        [
            (lambda r: httpx.Response(401, json={}), "answered 401"),
            (lambda r: httpx.Response(200, text="<html>"), "not JSON"),
            (lambda r: httpx.Response(200, json=[1]), "not a JSON object"),
            (
                lambda r: httpx.Response(200, json={"items": {"a": 1}}),
                "list of objects under 'items'",
            ),
        ],
    )
    def test_refused_without_retrying(
        self, tmp_path: Path, answer: Callable[[httpx.Request], httpx.Response], expected: str
    ) -> None:
        clock = FakeClock()
        with pytest.raises(SourceRefused, match=expected):
            pull(spec_for(tmp_path, CURSOR), httpx.MockTransport(answer), Harness(), clock)
        assert clock.sleeps == []


def test_the_token_is_sent_as_a_bearer(tmp_path: Path) -> None:
    seen: list[str | None] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    [spec] = specs(
        tmp_path,
        rest_entry("api", "https://x.example", CURSOR, token_env="XUEJI_TOKEN"),
        environ={"XUEJI_TOKEN": "t-1"},
    )
    assert isinstance(spec, RestSpec)
    pull(spec, httpx.MockTransport(handle), Harness())
    assert seen == ["Bearer t-1"]


def test_requests_respect_the_rate_limit(tmp_path: Path) -> None:
    spec, store, clock = (
        spec_for(tmp_path, CURSOR, rate_limit_per_second=2),
        RestSourceStore(),
        FakeClock(),
    )
    fill(store, spec, range(1, 8), "2024-09-01T20:00:00")
    sent_at: list[float] = []
    inner = serve(store)

    def handle(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        return inner.handle_request(request)

    pull(spec, httpx.MockTransport(handle), Harness(), clock)
    assert sent_at == [0.0, 0.5, 1.0, 1.5]
