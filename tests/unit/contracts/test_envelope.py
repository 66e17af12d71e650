"""new_event(): a complete CloudEvent for a known type."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from contracts.envelope import new_alert_event, new_event
from contracts.errors import ContractError, UnknownEventType
from contracts.registry import validate
from tests.unit.contracts.support import example

CST = timezone(timedelta(hours=8))
MEAL_SERVICE = "cn.edu.qinglian.canteen.meal_service.v1"
ALERT = "cn.edu.qinglian.alerts.alert.v1"


def build(**overrides: object) -> dict:
    arguments = {
        "event_type": MEAL_SERVICE,
        "source": "/schools/500102001/canteen",
        "school_id": "500102001",
        "data": example(MEAL_SERVICE)["data"],
        "time": datetime(2024, 9, 3, 12, 0, tzinfo=CST),
    }
    return new_event(**{**arguments, **overrides})


def test_fills_the_cloudevents_attributes() -> None:
    event = build(
        subject="GC-2024-0903-L", district_id="500102", event_id="canteen-meal-service-0001"
    )
    assert event == example(MEAL_SERVICE)
    validate(event)


def test_defaults_to_a_random_uuid_and_omits_absent_optional_attributes() -> None:
    first, second = build(), build()
    assert uuid.UUID(first["id"]).version == 4
    assert first["id"] != second["id"]
    assert "subject" not in first and "districtid" not in first
    validate(first)


def test_an_alert_events_envelope_comes_from_its_data() -> None:
    alert = example(ALERT)
    event = new_alert_event(
        alert["data"], source=alert["source"], time=datetime.fromisoformat(alert["time"])
    )
    assert event == alert


def test_a_district_level_alert_has_no_schoolid_attribute() -> None:
    alert = example(ALERT)
    alert["data"]["school_id"] = None
    event = new_alert_event(
        alert["data"], source=alert["source"], time=datetime.fromisoformat(alert["time"])
    )
    assert "schoolid" not in event and event["districtid"] == "500102"
    validate(event)


def test_keeps_the_offset_of_the_given_time() -> None:
    assert build(time=datetime(2024, 9, 3, 4, 0, tzinfo=UTC))["time"] == "2024-09-03T04:00:00+00:00"


def test_refuses_a_naive_time() -> None:
    with pytest.raises(ContractError, match="UTC offset"):
        build(time=datetime(2024, 9, 3, 12, 0))


def test_refuses_an_unknown_type() -> None:
    with pytest.raises(UnknownEventType):
        build(event_type="cn.edu.qinglian.canteen.meal.v1")
