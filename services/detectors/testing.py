"""Test support for rule authors: build contract-valid events, run one rule
through the real engine, and compare runs (in order, shuffled, replayed).

Every event built here is validated against its contract, and every alert a
run produces is validated against the ``alerts`` contract, so a rule test also
proves the rule reads real field names and writes real alerts.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from contracts.envelope import new_alert_event, new_event
from contracts.registry import validate
from services.detectors.core.config import RuleSet, build_rule_set
from services.detectors.core.engine import Engine
from services.detectors.core.eventtime import parse_time
from services.detectors.core.rule import Rule
from services.detectors.core.state import InMemoryStateStore, StoredState

SCHOOL = "500102001"
OTHER_SCHOOL = "500102002"
DISTRICT = "500102"
DETECTED_AT = parse_time("2030-01-01T00:00:00+08:00")
ORG_A = "91500102MA5U000001"
ORG_B = "91500102MA5U000002"
ORG_C = "91500102MA5U000003"
ORG_D = "91500102MA5U000004"


def event(
    name: str,
    data: dict[str, Any],
    *,
    at: str,
    event_id: str,
    school: str = SCHOOL,
    district: str = DISTRICT,
) -> dict[str, Any]:
    """A validated CloudEvent of type ``cn.edu.qinglian.<name>.v1`` (name like "canteen.meal_service")."""
    domain = name.partition(".")[0]
    built = new_event(
        f"cn.edu.qinglian.{name}.v1",
        f"/schools/{school}/{domain}",
        school,
        data,
        time=parse_time(at),
        event_id=event_id,
        district_id=district,
    )
    validate(built)
    return built


def org(org_id: str) -> dict[str, str]:
    return {"id": org_id, "name": f"单位 {org_id[-4:]}"}


def staff(staff_id: str) -> dict[str, str]:
    return {"staff_id": staff_id}


def rule_set(rule: Rule, *, lateness_minutes: int = 60, **parameters: Any) -> RuleSet:
    document = {
        "version": "test",
        "allowed_lateness_minutes": lateness_minutes,
        "rules": {rule.meta.id: {"parameters": parameters}},
    }
    return build_rule_set([rule], document)


class JsonRoundTripStore(InMemoryStateStore):
    """Stores state through JSON, as the changelog will: non-JSON state fails here.

    It also fails when a stored entry changed while it was out (between ``get`` and the
    next ``put`` or ``delete`` of its key): the engine hands rules copies, and a failed
    step must leave the store as it was.
    """

    def __init__(self) -> None:
        super().__init__()
        self._handed_out: dict[tuple[str, str], str] = {}

    def get(self, rule_id: str, key: str) -> StoredState | None:
        value = super().get(rule_id, key)
        if value is not None:
            self._handed_out[(rule_id, key)] = json.dumps(value, sort_keys=True)
        return value

    def put(self, rule_id: str, key: str, value: StoredState, encoded: bytes) -> None:
        self._check_unchanged(rule_id, key)
        super().put(rule_id, key, json.loads(encoded), encoded)

    def delete(self, rule_id: str, key: str) -> None:
        self._check_unchanged(rule_id, key)
        super().delete(rule_id, key)

    def _check_unchanged(self, rule_id: str, key: str) -> None:
        handed_out = self._handed_out.pop((rule_id, key), None)
        stored = super().get(rule_id, key)
        if handed_out is not None and json.dumps(stored, sort_keys=True) != handed_out:
            raise AssertionError(f"rule {rule_id} changed the stored state of {key!r} in place")


def run(
    rule: Rule,
    events: Iterable[Mapping[str, Any]],
    *,
    lateness_minutes: int = 60,
    flush: bool = True,
    **parameters: Any,
) -> list[dict[str, Any]]:
    """Alerts (as contract dicts) from feeding the events to a fresh engine running only ``rule``."""
    engine = Engine(
        rule_set(rule, lateness_minutes=lateness_minutes, **parameters), JsonRoundTripStore()
    )
    alerts = []
    for item in events:
        alerts.extend(engine.process(item, detected_at=DETECTED_AT))
    if flush:
        alerts.extend(engine.flush(detected_at=DETECTED_AT))
    produced = [alert.to_dict() for alert in alerts]
    for alert in produced:
        validate(new_alert_event(alert, source="/detectors", time=DETECTED_AT))
    return produced


def shuffled(events: Sequence[Mapping[str, Any]], seed: int) -> list[Mapping[str, Any]]:
    copy = list(events)
    random.Random(seed).shuffle(copy)
    return copy


def by_id(alerts: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {alert["alert_id"]: alert for alert in alerts}


def assert_order_independent(
    rule: Rule,
    events: Sequence[Mapping[str, Any]],
    *,
    seeds: Iterable[int] = range(5),
    **options: Any,
) -> list[dict[str, Any]]:
    """In-order, reversed and shuffled arrival give identical alerts; returns the in-order alerts."""
    ordered = sorted(events, key=lambda item: (parse_time(item["time"]), item["id"]))
    expected = run(rule, ordered, **options)
    arrivals = [list(reversed(ordered)), list(ordered) + list(ordered)] + [
        shuffled(ordered, s) for s in seeds
    ]
    for arrival in arrivals:
        assert by_id(run(rule, arrival, **options)) == by_id(expected)
    return expected


def at(moment: str) -> datetime:
    return parse_time(moment)
