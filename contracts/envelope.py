"""Building CloudEvents envelopes for Qinglian events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from contracts.errors import ContractError
from contracts.registry import type_info

SPEC_VERSION = "1.0"
DATA_CONTENT_TYPE = "application/json"
ALERT_TYPE = "cn.edu.qinglian.alerts.alert.v1"


def format_time(moment: datetime) -> str:
    """RFC 3339 with the offset the datetime carries; naive datetimes are refused, never guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ContractError(
            f"事件时间必须带时区 / event time {moment.isoformat()} has no UTC offset; use an aware datetime"
        )
    return moment.isoformat()


def new_event(
    event_type: str,
    source: str,
    school_id: str,
    data: dict[str, Any],
    *,
    time: datetime,
    subject: str | None = None,
    event_id: str | None = None,
    district_id: str | None = None,
) -> dict[str, Any]:
    """A CloudEvent of a known type (raises UnknownEventType otherwise); not validated here."""
    info = type_info(event_type)
    event: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "time": format_time(time),
        "dataschema": info.schema_id,
        "datacontenttype": DATA_CONTENT_TYPE,
        "schoolid": school_id,
    }
    if subject is not None:
        event["subject"] = subject
    if district_id is not None:
        event["districtid"] = district_id
    event["data"] = data
    return event


def new_alert_event(data: dict[str, Any], *, source: str, time: datetime) -> dict[str, Any]:
    """The CloudEvent of one alert (``data``: the ``alerts/alert.v1`` object), its envelope taken
    from the data: ``id`` and ``subject`` are the alert id, ``schoolid`` and ``districtid`` the
    alert's school and district. A district-level alert (``school_id`` null) has no ``schoolid``:
    the envelope lets an alert leave it out, never set it to null."""
    event = new_event(
        ALERT_TYPE,
        source,
        data["school_id"],
        data,
        time=time,
        subject=data["alert_id"],
        event_id=data["alert_id"],
        district_id=data["district_id"],
    )
    if event["schoolid"] is None:
        del event["schoolid"]
    return event
