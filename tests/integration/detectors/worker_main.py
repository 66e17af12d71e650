"""A detector worker running the runtime's fixture rules, with test-sized timeouts.

    python -m tests.integration.detectors.worker_main WEB_PORT METRICS_PORT

Settings come from the environment (QINGLIAN_TOPIC_PREFIX isolates a test).
"""

from __future__ import annotations

import dataclasses
import sys

from qinglian.settings import load_settings
from services.detectors.runtime.app import RuntimeOptions
from services.detectors.runtime.worker import run_worker
from tests.unit.detectors_runtime.fixture_rules import fixture_rule_set

TEST_OPTIONS = RuntimeOptions(
    batch_size=500,
    batch_within=0.05,
    session_timeout=8.0,
    rebalance_timeout=8.0,
    heartbeat_interval=1.0,
    commit_interval=0.5,
)

if __name__ == "__main__":
    web_port, metrics_port = int(sys.argv[1]), int(sys.argv[2])
    options = dataclasses.replace(TEST_OPTIONS, web_port=web_port)
    run_worker(load_settings(), fixture_rule_set(), metrics_port=metrics_port, options=options)
