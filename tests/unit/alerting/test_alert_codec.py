"""Decoding alert events: the contract's example is accepted, and every kind of bad record says why."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from services.alerting.adapters.alert_codec import decode_alert_event, encode_alert_event
from services.alerting.domain.alerts import Severity, Subject, SubjectKind
from services.alerting.errors import InvalidAlert
from services.alerting.testing import sample_alert

EXAMPLE = (
    Path(__file__).parents[3] / "contracts" / "examples" / "cn.edu.qinglian.alerts.alert.v1.json"
)


def example() -> dict:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_the_contracts_example_alert_decodes() -> None:
    alert = decode_alert_event(EXAMPLE.read_bytes())
    assert (alert.alert_id, alert.rule_id, alert.severity) == (
        "al-3f2c9a7d1e5b4c08",
        "C6",
        Severity.ORANGE,
    )
    assert alert.subject.kind is SubjectKind.STAFF
    assert alert.event_time.isoformat() == "2024-09-04T06:45:00+08:00"
    assert alert.details == {"inspector_count": 1, "purchaser_inspected": True}


def test_an_alert_survives_encoding_and_decoding() -> None:
    alert = sample_alert()
    assert decode_alert_event(encode_alert_event(alert)) == alert


def test_a_district_level_alert_travels_without_schoolid() -> None:
    alert = sample_alert(school_id=None, subject=Subject(SubjectKind.VENDOR, "91500102MA5U000009"))
    event = orjson.loads(encode_alert_event(alert))
    assert "schoolid" not in event and event["districtid"] == "500102"
    assert decode_alert_event(orjson.dumps(event)) == alert


@pytest.mark.parametrize(
    ("attribute", "value"), [("schoolid", "500102002"), ("districtid", "500103")]
)
def test_an_envelope_scoped_differently_from_its_data_is_refused(
    attribute: str, value: str
) -> None:
    event = example()
    event[attribute] = value
    with pytest.raises(InvalidAlert) as refused:
        decode_alert_event(orjson.dumps(event))
    assert [(r["path"], r["rule"]) for r in refused.value.reasons] == [(attribute, "scope")]


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (None, "alert"),
        (b"{not json", "alert"),
        (b"[1, 2]", "alert"),
    ],
)
def test_records_that_are_not_events_are_refused(value: bytes | None, rule: str) -> None:
    with pytest.raises(InvalidAlert) as refused:
        decode_alert_event(value)
    assert refused.value.reasons[0]["rule"] == rule


def test_a_contract_violation_lists_each_problem_with_its_path() -> None:
    event = example()
    event["data"]["severity"] = "purple"
    del event["data"]["citation"]
    with pytest.raises(InvalidAlert) as refused:
        decode_alert_event(orjson.dumps(event))
    found = {(reason["path"], reason["rule"]) for reason in refused.value.reasons}
    assert found == {("data.severity", "enum"), ("data.citation", "required")}


def test_another_event_type_is_not_an_alert() -> None:
    event = json.loads(
        (EXAMPLE.parent / "cn.edu.qinglian.canteen.purchase_order.v1.json").read_text(
            encoding="utf-8"
        )
    )
    with pytest.raises(InvalidAlert, match="not cn.edu.qinglian.alerts.alert.v1"):
        decode_alert_event(orjson.dumps(event))


def test_a_person_subject_with_a_clear_id_is_refused() -> None:
    event = example()
    event["data"]["subject"]["id"] = "500102198001011234"
    with pytest.raises(InvalidAlert, match="pseudonym") as refused:
        decode_alert_event(orjson.dumps(event))
    assert refused.value.reasons == [
        {"path": "data.subject.id", "rule": "pseudonym", "message": str(refused.value)}
    ]
