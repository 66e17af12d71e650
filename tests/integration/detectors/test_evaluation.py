"""`qinglian evaluate` on the real pipeline: the simulator's default district published to the real
broker, one real worker with every shipped rule, its alerts read back from the alerts topic and
scored against the ground truth. Every rule reaches precision and recall of at least 0.95."""

from __future__ import annotations

import pytest

from qinglian.settings import Settings
from services.detectors.core.config import load_rule_set
from services.detectors.runtime.evaluate import live_alerts, simulate_district, truth_keys
from services.detectors.runtime.evaluation import alert_key, format_scores, score
from services.ingest.simulator.scenario import Scenario

pytestmark = pytest.mark.integration

MINIMUM = 0.95


def test_every_rule_reaches_the_quality_target_on_the_default_scenario(
    kafka_settings: Settings,
) -> None:
    assert (Scenario().schools, Scenario().days) == (50, 30)
    simulation = simulate_district(kafka_settings.pseudonym_key.get_secret_value().encode())

    alerts = live_alerts(kafka_settings, simulation.events)

    scores = score(map(alert_key, alerts), truth_keys(simulation.truth))
    table = format_scores(scores)
    assert {s.rule_id for s in scores} == {
        config.rule_id for config in load_rule_set().enabled()
    }, table
    below = [
        s.rule_id for s in scores if (s.precision or 0.0) < MINIMUM or (s.recall or 0.0) < MINIMUM
    ]
    assert below == [], table
