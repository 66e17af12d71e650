"""The quarantine on the real broker: steps recorded by a stalled worker, read by every worker
(and replay), listed and released by operators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from qinglian import broker
from qinglian.cli import app
from qinglian.settings import Settings
from services.detectors.core.engine import RuleStep
from services.detectors.core.eventtime import parse_time
from services.detectors.runtime.evaluate import delete_prefix
from services.detectors.runtime.quarantine import HungStep, Quarantine, QuarantineError
from tests.integration.detectors.support import isolated

pytestmark = pytest.mark.integration

ON_EVENT = HungStep(RuleStep("F6", "1.2.0", "ev-41"), 612.0, "qinglian.raw.finance/3 offsets 41–44")
ON_TIMER = HungStep(
    RuleStep("E2", "1.1.0", None, "500102000001|students", parse_time("2024-09-03T00:00:00+08:00")),
    300.5,
    "none read",
)


@pytest.fixture
def scoped(kafka_settings: Settings) -> Iterator[Settings]:
    settings = isolated(kafka_settings)
    yield settings
    delete_prefix(settings)


def test_recorded_steps_are_read_refreshed_and_released(scoped: Settings) -> None:
    quarantine = Quarantine(scoped)
    quarantine.refresh()  # before the topic exists: nothing quarantined
    assert quarantine.labels == set()

    broker.ensure_topics(scoped)
    quarantine.record([ON_EVENT, ON_TIMER])
    entries = quarantine.read()
    assert set(entries) == {
        "F6@1.2.0 event ev-41",
        "E2@1.1.0 timer 500102000001|students at 2024-09-03T00:00:00+08:00",
    }
    assert entries["F6@1.2.0 event ev-41"] | {"at": None, "worker": None} == {
        "schema": "qinglian.detectors.quarantine.v1",
        "step": "F6@1.2.0 event ev-41",
        "rule": "F6",
        "rule_version": "1.2.0",
        "event_id": "ev-41",
        "key": None,
        "due": None,
        "ran_seconds": 612.0,
        "batch": "qinglian.raw.finance/3 offsets 41–44",
        "worker": None,
        "at": None,
    }
    labels = quarantine.labels  # the engines hold this very set: refresh changes it in place
    quarantine.refresh()
    assert labels == set(entries)

    quarantine.release("F6@1.2.0 event ev-41")
    quarantine.refresh()
    assert labels == {ON_TIMER.step.label}
    with pytest.raises(QuarantineError, match="no quarantined step 'F6@1.2.0 event ev-41'"):
        quarantine.release("F6@1.2.0 event ev-41")


def test_operators_list_and_release_steps(scoped: Settings) -> None:
    broker.ensure_topics(scoped)
    Quarantine(scoped).record([ON_EVENT])
    runner = CliRunner()
    environment = {
        "QINGLIAN_TOPIC_PREFIX": scoped.topic_prefix,
        "QINGLIAN_KAFKA_BOOTSTRAP_SERVERS": scoped.kafka_bootstrap_servers,
    }

    listed = runner.invoke(app, ["detectors", "quarantine", "list"], env=environment)
    assert listed.exit_code == 0, listed.output
    assert (
        "F6@1.2.0 event ev-41  ran 612.0 s  qinglian.raw.finance/3 offsets 41–44" in listed.stdout
    )
    assert "1 quarantined step(s)" in listed.stderr

    released = runner.invoke(
        app, ["detectors", "quarantine", "release", "F6@1.2.0 event ev-41"], env=environment
    )
    assert released.exit_code == 0, released.output
    assert Quarantine(scoped).read() == {}
    again = runner.invoke(
        app, ["detectors", "quarantine", "release", "F6@1.2.0 event ev-41"], env=environment
    )
    assert again.exit_code != 0
    assert isinstance(again.exception, QuarantineError)  # `qinglian` prints it as one line
