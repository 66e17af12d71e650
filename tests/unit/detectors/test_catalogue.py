"""Properties every rule in the catalogue must have, and the whole rule set run together."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from contracts.registry import event_types
from services.detectors.core.config import load_rule_set
from services.detectors.core.engine import Engine, Scope
from services.detectors.core.rule import StatefulRule
from services.detectors.rules.canteen import fixtures as canteen
from services.detectors.rules.catalogue import all_rules
from services.detectors.rules.enrollment import fixtures as enrollment
from services.detectors.rules.finance import fixtures as finance
from services.detectors.rules.ocds import fixtures as ocds
from services.detectors.rules.procurement import fixtures as procurement
from services.detectors.testing import DETECTED_AT, ORG_A, ORG_B, JsonRoundTripStore

RULES = all_rules()
RULES_DIR = Path(__file__).resolve().parents[3] / "services" / "detectors" / "rules"


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.id for r in RULES])
class TestEveryRule:
    def test_metadata_fits_the_alerts_contract(self, rule):
        meta = rule.meta
        assert re.fullmatch(r"[A-Z][A-Z0-9_]{0,31}", meta.id)
        assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", meta.version)
        assert 0 < len(meta.title_zh) <= 200 and 0 < len(meta.title_en) <= 200
        assert 0 < len(meta.citation) <= 500

    def test_docstring_is_its_documentation_page(self, rule):
        assert rule.meta.doc.startswith(f"{rule.meta.id} · ")
        assert (
            "Kind:" in rule.meta.doc or "Streaming:" in rule.meta.doc
        ) and "Source:" in rule.meta.doc

    def test_reads_only_published_event_types(self, rule):
        published = {info.type for info in event_types()}
        assert rule.meta.event_types and rule.meta.event_types <= published

    def test_parameters_are_frozen_with_defaults(self, rule):
        params = rule.meta.parameters()
        assert dataclasses.is_dataclass(params) and rule.meta.parameters.__dataclass_params__.frozen

    def test_has_a_table_driven_test(self, rule):
        tests = list(RULES_DIR.rglob("test_*.py")) + list(Path(__file__).parent.glob("test_*.py"))
        name = _module_of(rule)
        assert any(name in path.read_text(encoding="utf-8") for path in tests), (
            f"no test imports {name}"
        )


def _module_of(rule) -> str:
    for path in RULES_DIR.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if f'id="{rule.meta.id}"' in text or (
            f'CODE = "{rule.meta.id}"' in text and "RULE = " in text
        ):
            return path.stem
    raise AssertionError(f"no module defines {rule.meta.id}")


def test_ids_are_unique():
    ids = [rule.meta.id for rule in RULES]
    assert len(ids) == len(set(ids)) == 40


def test_global_rules_are_the_ones_global_by_nature():
    global_ids = {
        rule.meta.id for rule in RULES if isinstance(rule, StatefulRule) and rule.meta.global_state
    }
    assert global_ids == {"C_PRICE", "E1", "F7", "R024", "R025", "R038", "R048", "R058"}


def mixed_stream() -> list[dict]:
    """A small day-to-day stream from every domain, with a few violations mixed in."""
    events = [
        enrollment.roster("R1", ("C-1", 3, 58), ("C-2", 8, 40)),
        enrollment.registration(1),
        enrollment.registration(2),
        enrollment.admission_plan("PLAN-1", 1),
        enrollment.admission(1),
        enrollment.admission(2),
        canteen.meal_service("MS-1", leaders=()),
        canteen.spending("SP-1", 500, category="cash_to_parents", payee_type="parent"),
        canteen.subsidy_claim("CL-1", claimed_yuan=20_000),
        canteen.purchase_order("PO-1", 420),
        canteen.stock_count(
            "SC-1",
            canteen.stock_line(
                "RICE-01", opening="1", inbound="1", outbound="3", book="0", counted="0"
            ),
        ),
        procurement.contract("K1", 120_000_000, at="2026-03-10T10:00:00+08:00"),
        procurement.contract("K2", 90_000_000, at="2026-05-10T10:00:00+08:00"),
        procurement.payment("K1", 130_000_000, at="2026-06-10T10:00:00+08:00", payment_id="PAY-1"),
        ocds.tender(1, end="2026-03-05T09:00:00+08:00", tenderers=1),
        ocds.bid(1, ORG_A, 100, at="2026-03-04T09:00:00+08:00"),
        ocds.bid(1, ORG_B, 100, at="2026-03-04T10:00:00+08:00"),
        ocds.award(1, at="2026-03-06T09:00:00+08:00"),
        finance.fee_charge("FC-1", item="试卷费", category="service"),
        finance.hospitality("H-1", guests=5, companions=6),
        finance.voucher("V-1", 150_000),
        finance.aid("AID-1", "pn:" + "7" * 32, at="2026-10-10T10:00:00+08:00"),
    ]
    return sorted(events, key=lambda e: (e["time"], e["id"]))


def run_all(events: list[dict], *, twice: bool = False) -> dict[str, dict]:
    engine = Engine(load_rule_set(), JsonRoundTripStore())
    alerts = []
    for event in events:
        alerts += engine.process(event, detected_at=DETECTED_AT)
        if twice:
            alerts += engine.process(event, detected_at=DETECTED_AT)
    alerts += engine.flush(detected_at=DETECTED_AT)
    json.dumps(engine.store.snapshot())
    return {alert.alert_id: alert.to_dict() for alert in alerts}


def test_all_rules_together_on_a_mixed_stream():
    alerts = run_all(mixed_stream())
    fired = {alert["rule_id"] for alert in alerts.values()}
    assert {
        "E3",
        "E5",
        "C7",
        "C2",
        "C9",
        "P3",
        "P12",
        "R003",
        "R018",
        "R028",
        "P6",
        "P10",
        "F2",
        "F8",
        "F11",
        "F6",
    } <= fired


def test_replay_and_redelivery_give_the_same_alerts():
    assert run_all(mixed_stream()) == run_all(mixed_stream()) == run_all(mixed_stream(), twice=True)


def test_school_and_global_engines_split_the_rules_and_together_give_every_alert():
    events = mixed_stream()
    rule_set = load_rule_set()
    school, glob = Engine(rule_set, scope=Scope.SCHOOL), Engine(rule_set, scope=Scope.GLOBAL)
    alerts = []
    for engine in (school, glob):
        alerts += [a for e in events for a in engine.process(e, detected_at=DETECTED_AT)]
        alerts += engine.flush(detected_at=DETECTED_AT)
    assert {a.alert_id for a in alerts} == set(run_all(events))
