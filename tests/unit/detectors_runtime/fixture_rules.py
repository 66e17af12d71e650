"""Three small rules that exercise the runtime the way the catalogue's rules do:
single event, school-keyed window with a timer, and a global join.

They are the runtime's own test fixtures, so its tests do not depend on the
catalogue's thresholds. Events are CloudEvents with a made-up ``data`` shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from services.detectors.core.alerts import Alert, build_alert
from services.detectors.core.config import RuleSet, build_rule_set
from services.detectors.core.eventtime import CHINA_TZ, day_window, event_time, local_date
from services.detectors.core.findings import finding, origin, stored_finding
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    Subject,
    SubjectKind,
)
from services.detectors.core.rule import (
    Rule,
    RuleContext,
    RuleMeta,
    SingleEventRule,
    StatefulRule,
    Step,
    global_key,
    school_key,
)

PAYMENT = "cn.edu.qinglian.finance.payment_voucher.v1"
MEAL = "cn.edu.qinglian.canteen.meal_service.v1"
REGISTRATION = "cn.edu.qinglian.enrollment.registration.v1"


@dataclass(frozen=True)
class Limit:
    limit_fen: int = 100_000


@dataclass(frozen=True)
class Minimum:
    minimum: int = 3


@dataclass(frozen=True)
class NoParameters:
    pass


def fixture_meta(
    rule_id: str,
    kind: RuleKind,
    area: RiskArea,
    params: type,
    types: set[str],
    *,
    global_state: bool = False,
) -> RuleMeta:
    return RuleMeta(
        id=rule_id,
        version="1.0.0",
        title_zh=f"测试规则 {rule_id}",
        title_en=f"Test rule {rule_id}",
        citation="runtime test fixture",
        kind=kind,
        severity=Severity.YELLOW,
        risk_area=area,
        parameters=params,
        event_types=frozenset(types),
        doc="test",
        global_state=global_state,
    )


def large_payment(event: Event, params: Limit) -> Iterator[Finding]:
    amount = event["data"]["amount_fen"]
    if amount > params.limit_fen:
        yield finding(
            event,
            subject=(SubjectKind.ACCOUNT, event["data"]["account"]),
            measured=amount,
            threshold=params.limit_fen,
            comparison=Comparison.GT,
            record_id=event["data"]["voucher_id"],
        )


def meals_key(event: Event, params: Minimum) -> list[str]:
    return [school_key(event, "day", local_date(event_time(event)).isoformat())]


def count_meal(state: dict[str, Any], event: Event, context: RuleContext[Minimum]) -> Step:
    window = day_window(local_date(event_time(event)))
    ids = sorted({*state.get("ids", []), event["id"]})
    return Step({**origin(event), "ids": ids, "day": window.start.isoformat()}, timer=window.end)


def close_day(state: dict[str, Any], context: RuleContext[Minimum]) -> Step:
    start = datetime.fromisoformat(state["day"])
    window = day_window(local_date(start))
    if len(state["ids"]) < context.params.minimum:
        return Step(None)
    found = stored_finding(
        state,
        subject=(SubjectKind.SCHOOL, state["school"]),
        measured=len(state["ids"]),
        threshold=context.params.minimum,
        comparison=Comparison.GE,
        evidence=state["ids"],
        moment=window.end - timedelta(microseconds=1),
        window=window,
    )
    return Step(None, findings=(found,))


def person_key(event: Event, params: NoParameters) -> list[str]:
    return [global_key("person", event["data"]["person"])]


def register(state: dict[str, Any], event: Event, context: RuleContext[NoParameters]) -> Step:
    """Order-independent: the alert names the school of the latest registration in event time."""
    schools = {**state.get("schools", {}), event["schoolid"]: [event["time"], event["id"]]}
    if len(schools) < 2:
        return Step({"schools": schools})
    latest_school = max(
        schools, key=lambda school: (datetime.fromisoformat(schools[school][0]), school)
    )
    found = Finding(
        school_id=latest_school,
        district_id=event.get("districtid"),
        subject=Subject(SubjectKind.STUDENT, event["data"]["person"]),
        measured_value=Decimal(len(schools)),
        threshold=Decimal(1),
        comparison=Comparison.GT,
        evidence_event_ids=tuple(sorted(event_id for _, event_id in schools.values())),
        event_time=datetime.fromisoformat(schools[latest_school][0]),
    )
    return Step({"schools": schools}, findings=(found,))


def no_timer(state: dict[str, Any], context: RuleContext[NoParameters]) -> Step:
    return Step(state)


RULES = (
    SingleEventRule(
        fixture_meta("TA", RuleKind.SINGLE_EVENT, RiskArea.FINANCE, Limit, {PAYMENT}), large_payment
    ),
    StatefulRule(
        fixture_meta("TB", RuleKind.WINDOWED, RiskArea.CANTEEN, Minimum, {MEAL}),
        meals_key,
        count_meal,
        close_day,
    ),
    StatefulRule(
        fixture_meta(
            "TG",
            RuleKind.JOIN,
            RiskArea.ENROLLMENT,
            NoParameters,
            {REGISTRATION},
            global_state=True,
        ),
        person_key,
        register,
        no_timer,
    ),
)


def fixture_rule_set(*more: Rule) -> RuleSet:
    """The fixture rules, and ``more`` of a test's own."""
    return build_rule_set((*RULES, *more), {"version": "test.1", "allowed_lateness_minutes": 60})


BASE = datetime(2024, 9, 2, 8, 0, tzinfo=CHINA_TZ)
"""Day 0 of every fixture stream, 08:00 China time; a school day's events fall between 08:00 and 18:30."""


def cloud_event(
    event_type: str, school: str, number: int, data: dict[str, Any], *, minutes: int = 0
) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": f"ev-{event_type.split('.')[3]}-{school}-{number}",
        "source": f"/schools/{school}",
        "type": event_type,
        "time": (BASE + timedelta(minutes=minutes)).isoformat(),
        "schoolid": school,
        "districtid": "500102",
        "data": data,
    }


def payment(school: str, number: int, amount_fen: int, *, minutes: int = 0) -> dict[str, Any]:
    data = {"voucher_id": f"V{number}", "account": f"ACC-{school}", "amount_fen": amount_fen}
    return cloud_event(PAYMENT, school, number, data, minutes=minutes)


def meal(school: str, number: int, *, minutes: int = 0) -> dict[str, Any]:
    return cloud_event(MEAL, school, number, {"meal": "lunch"}, minutes=minutes)


def registration(school: str, number: int, person: str, *, minutes: int = 0) -> dict[str, Any]:
    return cloud_event(REGISTRATION, school, number, {"person": person}, minutes=minutes)


def standard_mix(schools: int, days: int, *, first_day: int = 0) -> list[dict[str, Any]]:
    """Per school and day: four meals (TB fires once the next day's events arrive), one payment
    (TA fires on every third school); on day 0 every fifth school registers the previous
    school's person again (TG fires)."""
    events = []
    ids = [f"5001020{index:05d}" for index in range(schools)]
    for day in range(first_day, first_day + days):
        for index, school in enumerate(ids):
            minutes = day * 24 * 60 + index % 600
            events.extend(meal(school, day * 10 + n, minutes=minutes + n) for n in range(4))
            amount = 200_000 if index % 3 == 0 else 5_000
            events.append(payment(school, day * 10 + 5, amount, minutes=minutes + 5))
            if day == 0:
                person = f"P{index - 1}" if index % 5 == 4 else f"P{index}"
                events.append(registration(school, 9, person, minutes=minutes + 6))
    return events


def encoded(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


def district_level_alert(district: str | None = "500102") -> Alert:
    """TG's alert about a vendor working across schools: a finding with no school, only a district,
    as the cross-school population rules (R025, R038, R048) produce."""
    rule_set = fixture_rule_set()
    found = Finding(
        school_id=None,
        district_id=district,
        subject=Subject(SubjectKind.VENDOR, "91500102MA5U000009"),
        measured_value=Decimal(12),
        threshold=Decimal(5),
        comparison=Comparison.GT,
        evidence_event_ids=("ev-registration-500102000001-9", "ev-registration-500102000002-9"),
        event_time=BASE,
    )
    return build_alert(
        rule_set.get("TG"),
        found,
        rules_config_hash=rule_set.config_hash,
        detected_at=BASE + timedelta(seconds=1),
    )
