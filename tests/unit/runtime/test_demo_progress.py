"""The demo's progress line counts what its services stored, read from their /metrics."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qinglian.demo import _scrape, _stored

EXPOSITION = """\
# TYPE qinglian_ingest_events_total counter
qinglian_ingest_events_total{source="district-simulator",type="a",result="accepted"} 0.0
qinglian_ingest_events_total{source="district-simulator",type="a",result="duplicate"} 1000.0
qinglian_ingest_events_total{source="district-simulator",type="b",result="duplicate"} 500.0
qinglian_ingest_events_total{source="district-simulator",type="b",result="rejected"} 3.0
# TYPE qinglian_ingest_connector_records_total counter
qinglian_ingest_connector_records_total{connector="drop",result="accepted"} 1200.0
"""


@pytest.fixture
def metrics_url() -> Iterator[str]:
    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = EXPOSITION.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/metrics"
    finally:
        server.shutdown()
        server.server_close()


def test_a_rerun_whose_events_were_all_stored_before_shows_its_duplicates(metrics_url: str) -> None:
    assert (
        _stored(_scrape(metrics_url), "qinglian_ingest_events_total")
        == "0（重复 duplicates 1,500）"
    )


def test_without_duplicates_only_the_accepted_count_shows(metrics_url: str) -> None:
    assert _stored(_scrape(metrics_url), "qinglian_ingest_connector_records_total") == "1,200"


def test_a_service_not_answering_counts_zero() -> None:
    assert _scrape("http://127.0.0.1:9/metrics") == []
    assert _stored([], "qinglian_ingest_events_total") == "0"
