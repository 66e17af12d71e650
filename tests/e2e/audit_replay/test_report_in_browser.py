"""The HTML replay report in headless Chromium, after a real live run whose record was tampered with.

A live worker processes the labelled stream; then someone rewrites the record: an alert the
detectors never raised is added to the alerts topic, and a real alert is published again with
another measured value. Replay with a candidate rules file must show both differences and the
what-if, in a page that loads nothing from any network. The screenshot is kept as an artifact.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from playwright.sync_api import sync_playwright
from typer.testing import CliRunner

from qinglian import broker
from qinglian.settings import Settings
from qinglian.topics import alerts_topic
from services.detectors.core.config import DEFAULT_RULES_FILE
from services.detectors.runtime.evaluate import delete_prefix
from tests.integration.audit_replay.live import (
    processed_by_live_worker,
    published_alert_events,
    replay_app,
)
from tests.unit.audit_replay.labelled_stream import (
    OVER_TEN_PERCENT,
    added_at_five_percent,
    labelled_events,
    labels,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = ROOT / "artifacts" / "screenshots" / "replay-report.png"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


def forged_from(alert_event: dict) -> dict:
    """An alert the detectors never raised: a meal without a leader at a school that had one."""
    data = {
        **alert_event["data"],
        "alert_id": "f" * 32,
        "school_id": "500102103",
        "subject": {"kind": "school", "id": "500102103"},
        "evidence_event_ids": ["meal-500102103-2026-09-04"],
        "event_time": "2026-09-04T12:00:00+08:00",
    }
    return {**alert_event, "id": "f" * 32, "schoolid": "500102103", "data": data}


@pytest.fixture
def tampered(kafka_settings: Settings, tmp_path: Path) -> Iterator[Settings]:
    settings = kafka_settings.model_copy(
        update={"topic_prefix": f"qinglian.test-report-{uuid.uuid4().hex[:8]}"}
    )
    try:
        processed_by_live_worker(settings, labelled_events(), labels(), tmp_path / "worker.log")
        recorded = published_alert_events(settings)
        c7 = next(e for e in recorded if e["data"]["rule_id"] == "C7")
        p4 = next(e for e in recorded if e["data"]["rule_id"] == "P4")
        forged = forged_from(c7)
        altered = {**p4, "data": {**p4["data"], "measured_value": "30000"}}
        producer = broker.durable_producer(settings, client_id="test-tamper")
        for document in (forged, altered):
            producer.send(
                alerts_topic(settings),
                key=document["schoolid"].encode(),
                value=orjson.dumps(document),
            )
        producer.flush()
        producer.close()
        yield settings
    finally:
        delete_prefix(settings)


def test_the_report_shows_the_differences_and_the_what_if_offline(
    tampered: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGLIAN_TOPIC_PREFIX", tampered.topic_prefix)
    candidate = tmp_path / "candidate.toml"
    candidate.write_text(
        DEFAULT_RULES_FILE.read_text(encoding="utf-8").replace(
            'maximum_ratio = "0.10"', 'maximum_ratio = "0.05"'
        ),
        encoding="utf-8",
    )
    html = tmp_path / "report.html"
    arguments = [
        "replay",
        "--from",
        "2026-09-01",
        "--to",
        "2026-09-10",
        "--rules",
        str(candidate),
        "--html",
        str(html),
    ]
    result = CliRunner().invoke(replay_app(), arguments, catch_exceptions=False)
    assert result.exit_code == 1, result.output

    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900}, device_scale_factor=1)
            page.on("request", lambda request: requests.append(request.url))
            page.goto(html.as_uri())
            assert "发现 2 处差异" in page.locator(".verdict").inner_text()
            assert page.locator("tr.missing").count() == 1
            assert page.locator("tr.changed").count() == 1 + len(
                OVER_TEN_PERCENT
            )  # the altered alert, the what-if changes
            assert page.locator("tr.added").count() == sum(added_at_five_percent().values())
            assert page.locator("svg.chart").count() == 1 + 3  # the overview, C6, C7, P4
            assert page.locator("svg.chart").first.bounding_box()["width"] > 900
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert requests == [html.as_uri()]
