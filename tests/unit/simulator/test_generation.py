"""The generation core: deterministic, contract-valid, an anomaly for every rule, pseudonyms as ingest makes them."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from contracts.pii import is_pseudonym, pseudonym
from contracts.registry import validate
from qinglian.settings import load_settings
from services.ingest.simulator.anomalies import plan_anomalies
from services.ingest.simulator.district import build_district
from services.ingest.simulator.rules import ALL_RULES
from services.ingest.simulator.scenario import Scenario
from services.ingest.simulator.sinks.files import DOMAINS, GROUND_TRUTH_FILE, MANIFEST_FILE
from tests.unit.simulator.conftest import SMALL_SCENARIO, Output, run_cli

PERSON_SUBJECTS = ("student", "staff", "account")


def test_the_same_seed_gives_byte_identical_files(small_run: Output, tmp_path: Path) -> None:
    again = run_cli(tmp_path, *SMALL_SCENARIO)
    for name in (*(f"{domain}.ndjson" for domain in DOMAINS), GROUND_TRUTH_FILE, MANIFEST_FILE):
        assert (again.folder / name).read_bytes() == (small_run.folder / name).read_bytes(), name


def test_another_seed_gives_another_district(small_run: Output, tmp_path: Path) -> None:
    other = run_cli(tmp_path, "--schools", "5", "--days", "7", "--seed", "2", "--no-progress")
    assert (other.folder / "finance.ndjson").read_bytes() != (
        small_run.folder / "finance.ndjson"
    ).read_bytes()


def test_every_event_validates_against_its_contract(small_run: Output) -> None:
    for event in small_run.events:
        validate(event)
    assert {event["type"].split(".")[3] for event in small_run.events} == set(DOMAINS)


def test_events_of_each_domain_are_in_event_time_order(small_run: Output) -> None:
    for domain in DOMAINS:
        times = [
            event["time"] for event in small_run.events if event["type"].split(".")[3] == domain
        ]
        assert times == sorted(times), domain


def test_event_ids_are_unique(small_run: Output) -> None:
    counts = Counter(event["id"] for event in small_run.events)
    assert counts.most_common(1)[0][1] == 1


def test_the_ground_truth_holds_every_rule_the_scenario_can_hold(small_run: Output) -> None:
    """Seven days cannot hold ten school days of absence (E2); the manifest says so, and nothing else is missing."""
    found = {record["rule_id"] for record in small_run.truth}
    not_injected = small_run.manifest["not_injected"]
    assert set(not_injected) == {"E2"}, not_injected
    assert found == set(ALL_RULES) - set(not_injected)


def test_the_manifest_counts_what_was_written(small_run: Output) -> None:
    manifest = small_run.manifest
    assert manifest["seed"] == 1 and manifest["schools"] == 5 and manifest["days"] == 7
    assert manifest["events"] == len(small_run.events)
    assert manifest["anomalies_by_rule"] == dict(
        sorted(Counter(record["rule_id"] for record in small_run.truth).items())
    )


def test_evidence_names_events_that_were_sent(small_run: Output) -> None:
    sent = {event["id"] for event in small_run.events}
    for record in small_run.truth:
        assert set(record["evidence_event_ids"]) <= sent, record["rule_id"]


def test_people_in_the_ground_truth_are_named_by_their_pseudonym(small_run: Output) -> None:
    """The subject a detector names after ingest: HMAC of the clear identifier with the configured key."""
    key = load_settings().pseudonym_key.get_secret_value().encode()
    people = [record for record in small_run.truth if record["subject"]["kind"] in PERSON_SUBJECTS]
    assert people and all(is_pseudonym(record["subject"]["id"]) for record in people)
    bonus_cut = next(record for record in small_run.truth if record["rule_id"] == "F10")
    payroll = next(
        event
        for event in small_run.of_type("finance.payroll_allowance")
        if event["id"] in bonus_cut["evidence_event_ids"]
    )
    underpaid = min(payroll["data"]["lines"], key=lambda line: line["amount_fen"])
    assert bonus_cut["subject"]["id"] == pseudonym("staff_id", underpaid["staff"]["staff_id"], key)


def test_the_default_scenario_plans_at_least_three_anomalies_per_rule() -> None:
    plan = plan_anomalies(build_district(Scenario()))
    assert not plan.infeasible
    for rule in ALL_RULES:
        assert len(plan.by_rule[rule]) >= 3, rule


def test_ten_thousand_schools_get_distinct_ids_and_a_plan() -> None:
    district = build_district(Scenario(schools=10_000, days=1))
    assert len({school.school_id for school in district.schools}) == 10_000
    assert plan_anomalies(district).by_rule
