"""OCDS compiled releases ↔ procurement events, and the OCDS drop folder."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from contracts import registry
from services.ingest.connectors.domain.ocds import (
    EVENT_TYPES,
    OcdsContext,
    ReleaseProblem,
    parse_line,
    release_events,
)
from services.ingest.connectors.domain.spec import OcdsSpec
from services.ingest.connectors.service_layer.pull import drain
from services.ingest.connectors.sources.ocds_feed import ocds_connector
from services.ingest.connectors.writers.ocds import OcdsWriter, compiled_release
from tests.unit.connectors.support import Harness, ocds_entry, specs
from tests.unit.ingest.support import EXAMPLES

CONTEXT = OcdsContext("ocds", "/schools/{school_id}/procurement", ZoneInfo("Asia/Shanghai"))
PROCUREMENT_TOPIC = "qinglian.raw.procurement"


def examples() -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(EXAMPLES.glob("*.procurement.*.json"))
    ]


def by_type(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {event["type"]: event for event in events}


def test_every_example_survives_a_round_trip_through_a_compiled_release() -> None:
    sent = examples()
    release = json.loads(json.dumps(compiled_release(sent)))
    read = by_type(release_events(release, CONTEXT))
    assert sorted(read) == sorted(EVENT_TYPES)
    for event in sent:
        mapped = read[event["type"]]
        registry.validate(mapped)
        assert mapped["data"] == event["data"], event["type"]
        assert (mapped["schoolid"], mapped["subject"], mapped["time"]) == (
            event["schoolid"],
            event["subject"],
            event["time"],
        )
        assert mapped["source"] == "/schools/500102001/procurement"


def test_amounts_become_fen_and_times_become_local() -> None:
    release = compiled_release(examples())
    release["tender"]["value"] = {"amount": 360000.5, "currency": "CNY"}
    release["tender"]["datePublished"] = "2024-04-01T01:00:00Z"
    tender = by_type(release_events(release, CONTEXT))[EVENT_TYPES[1]]
    assert tender["data"]["value_fen"] == 36000050
    assert tender["data"]["published_at"] == "2024-04-01T09:00:00+08:00"


def test_the_school_comes_from_the_buyer_identifiers_or_the_configured_table() -> None:
    release = compiled_release(examples())
    for party in release["parties"]:
        party.pop("additionalIdentifiers", None)
    assert {event["schoolid"] for event in release_events(release, CONTEXT)} == {None}
    configured = OcdsContext(
        "ocds", "/p", CONTEXT.zone, buyer_schools={"12500102450812345M": "500102009"}
    )
    assert {event["schoolid"] for event in release_events(release, configured)} == {"500102009"}


def test_event_ids_follow_content_so_only_changed_records_are_new() -> None:
    release = compiled_release(examples())
    before = {event["type"]: event["id"] for event in release_events(release, CONTEXT)}
    changed = copy.deepcopy(release)
    changed["contracts"][0]["status"] = "terminated"
    after = {event["type"]: event["id"] for event in release_events(changed, CONTEXT)}
    assert [kind for kind in EVENT_TYPES if before[kind] != after[kind]] == [
        "cn.edu.qinglian.procurement.contract.v1"
    ]


def of_kinds(*kinds: str) -> list[dict[str, Any]]:
    return [event for event in examples() if event["type"].split(".")[4] in kinds]


def test_a_direct_award_without_a_tender_keeps_its_school_and_tender_id_and_yields_no_tender() -> (
    None
):
    sent = of_kinds("award", "contract", "payment")
    release = json.loads(json.dumps(compiled_release(sent)))
    read = release_events(release, CONTEXT)
    assert sorted(event["type"] for event in read) == sorted(event["type"] for event in sent)
    for event in sent:
        mapped = by_type(read)[event["type"]]
        assert (mapped["data"], mapped["schoolid"]) == (event["data"], event["schoolid"])


def test_payments_published_before_their_contract_yield_no_contract_event() -> None:
    sent = of_kinds("tender", "award", "payment")
    read = release_events(json.loads(json.dumps(compiled_release(sent))), CONTEXT)
    assert sorted(event["type"] for event in read) == sorted(event["type"] for event in sent)
    assert all(registry.validate(event) is None for event in read)


def test_a_publisher_lacking_a_qinglian_field_gets_the_event_rejected_at_that_field() -> None:
    release = compiled_release(examples())
    del release["planning"]["budget"]["fundSource"]
    plan = by_type(release_events(release, CONTEXT))[EVENT_TYPES[0]]
    with pytest.raises(Exception, match="fund_source"):
        registry.validate(plan)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"id": "x"}', "no ocid"),
        ('{"ocid": ""}', "no ocid"),
    ],
)
def test_lines_that_are_not_releases(line: str, problem: str) -> None:
    with pytest.raises(ReleaseProblem, match=problem):
        parse_line(line)


def test_an_ocds_file_is_ingested_and_broken_lines_are_reported(tmp_path: Path) -> None:
    folder = tmp_path / "ocds"
    folder.mkdir()
    [spec] = specs(tmp_path, ocds_entry("cq-ocds", folder, district_id="500102"))
    assert isinstance(spec, OcdsSpec)
    OcdsWriter(folder).write(
        "releases.jsonl", [compiled_release(examples())], raw_lines=["{oops", '{"id": "no-ocid"}']
    )
    harness = Harness()
    connector = ocds_connector(spec)
    connector.setup()
    summary = drain(connector, harness.deps)
    assert summary.results == {"accepted": 8, "rejected": 2}
    published = harness.published(PROCUREMENT_TOPIC)
    assert sorted(event["type"] for event in published) == sorted(EVENT_TYPES)
    assert {event["districtid"] for event in published} == {"500102"}
    assert [letter["payload"] for letter in harness.deadletters()] == ["{oops", '{"id": "no-ocid"}']
    report = json.loads(
        (folder / "rejected" / "releases.jsonl.report.json").read_text(encoding="utf-8")
    )
    assert [(row["row"], row["rule"], row["reason"]) for row in report["rows"]] == [
        (2, "unreadable_record", "不是 JSON / not JSON"),
        (3, "unreadable_record", "缺少 ocid / the release has no ocid"),
    ]
