"""A detector worker running the runtime's fixture rules, with test-sized timeouts.

    python -m tests.integration.detectors.worker_main WEB_PORT METRICS_PORT [--hanging-rule]

Settings come from the environment (QINGLIAN_TOPIC_PREFIX isolates a test). ``--hanging-rule``
adds a rule that never returns from an event whose data says ``"hang"`` (a rule stuck in a
loop, which blocks the worker's event loop), and measures the backlog every second. With
``"hang": "stubborn"`` it swallows the exception that ends a quarantined step, as a rule stuck
inside one C call would never see it.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Iterator

from qinglian.settings import load_settings
from services.detectors.core.model import Event, Finding, RiskArea, RuleKind
from services.detectors.core.rule import SingleEventRule
from services.detectors.runtime.app import RuntimeOptions
from services.detectors.runtime.worker import run_worker
from tests.unit.detectors_runtime.fixture_rules import (
    PAYMENT,
    NoParameters,
    fixture_meta,
    fixture_rule_set,
)

TEST_OPTIONS = RuntimeOptions(
    batch_size=500,
    batch_within=0.05,
    session_timeout=8.0,
    rebalance_timeout=8.0,
    heartbeat_interval=1.0,
    commit_interval=0.5,
)


def hang_on_request(event: Event, params: NoParameters) -> Iterator[Finding]:
    """Blocks the worker's event loop on purpose, as a rule stuck in a loop would."""
    hang = event["data"].get("hang")
    while hang:
        try:
            time.sleep(1.0)
        except Exception:
            if hang != "stubborn":
                raise
    yield from ()


HANGING_RULE = SingleEventRule(
    fixture_meta("TH", RuleKind.SINGLE_EVENT, RiskArea.FINANCE, NoParameters, {PAYMENT}),
    hang_on_request,
)


if __name__ == "__main__":
    web_port, metrics_port = int(sys.argv[1]), int(sys.argv[2])
    hanging = sys.argv[3:] == ["--hanging-rule"]
    options = dataclasses.replace(
        TEST_OPTIONS, web_port=web_port, lag_interval=1.0 if hanging else TEST_OPTIONS.lag_interval
    )
    run_worker(
        load_settings(),
        fixture_rule_set(HANGING_RULE) if hanging else fixture_rule_set(),
        metrics_port=metrics_port,
        options=options,
    )
