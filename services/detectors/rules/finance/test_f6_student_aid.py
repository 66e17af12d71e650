from __future__ import annotations

import itertools
import random
import uuid
from datetime import timedelta

import orjson
import pytest

from contracts.pii import pseudonym
from services.detectors.core.alerts import Alert
from services.detectors.core.engine import DEFAULT_MAX_ENTRY_BYTES, Engine
from services.detectors.core.pages import PAGE_SEPARATOR, page_key, shard_of
from services.detectors.core.state import InMemoryStateStore, StoredState
from services.detectors.rules.enrollment.fixtures import registration, student_id, withdrawal
from services.detectors.rules.finance import f6_student_aid
from services.detectors.rules.finance.f6_student_aid import RULE, STUDENT_PAGES
from services.detectors.rules.finance.fixtures import aid
from services.detectors.testing import (
    DETECTED_AT,
    SCHOOL,
    JsonRoundTripStore,
    assert_order_independent,
    at,
    rule_set,
    run,
    shuffled,
)

STUDENT = student_id(1)


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([registration(1), aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00")], []),
        ([aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00")], ["not_enrolled"]),
        (
            [
                registration(1),
                withdrawal(1, at="2026-10-01T09:00:00+08:00"),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
            ],
            ["not_enrolled"],
        ),
        (
            [
                registration(1),
                withdrawal(1, at="2026-10-11T09:00:00+08:00"),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
            ],
            [],
        ),
        (
            [
                registration(1, at="2026-10-10T10:00:00+08:00"),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
            ],
            [],
        ),
        (
            [
                registration(1),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
                aid("D2", STUDENT, at="2026-11-10T10:00:00+08:00"),
            ],
            ["duplicate"],
        ),
        (
            [
                registration(1),
                aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
                aid("D2", STUDENT, at="2026-11-10T10:00:00+08:00", category="national_grant"),
            ],
            [],
        ),
    ],
    ids=[
        "enrolled",
        "never registered",
        "withdrawn before",
        "withdrawn after",
        "boundary: paid at registration",
        "twice in a term",
        "two categories",
    ],
)
def test_aid_to_enrolled_students_once_per_term(events, expected):
    assert [a["details"]["finding"] for a in run(RULE, events)] == expected


def test_order_does_not_matter_within_the_lateness():
    events = [
        registration(1),
        aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
        aid("D2", STUDENT, at="2026-10-12T10:00:00+08:00"),
    ]
    [alert] = assert_order_independent(RULE, events, lateness_minutes=60 * 24 * 60)
    assert alert["subject"] == {"kind": "student", "id": STUDENT}
    assert alert["evidence_event_ids"] == ["aid-D1", "aid-D2"]


def school_of(students: int, *, paid_at: str = "2026-10-10T10:00:00+08:00") -> list[dict]:
    """Every student registered and paid once; the odd ones paid twice in the term."""
    events = []
    for n in range(1, students + 1):
        events += [registration(n), aid(f"A{n}", student_id(n), at=paid_at)]
        if n % 2:
            events.append(aid(f"B{n}", student_id(n), at="2026-11-10T10:00:00+08:00"))
    return events


class RecordedStore(JsonRoundTripStore):
    """Records the pages the engine reads and the entries (pages and keys) it writes."""

    def __init__(self) -> None:
        super().__init__()
        self.pages_read: list[str] = []
        self.written: list[str] = []

    def get(self, rule_id: str, key: str) -> StoredState | None:
        if PAGE_SEPARATOR in key:
            self.pages_read.append(key)
        return super().get(rule_id, key)

    def put(self, rule_id: str, key: str, value: StoredState, encoded: bytes) -> None:
        self.written.append(key)
        super().put(rule_id, key, value, encoded)


class LargestEntries(InMemoryStateStore):
    """Records the largest page and the largest key entry written, as the changelog sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.largest = {"page": 0, "key": 0}

    def put(self, rule_id: str, key: str, value: StoredState, encoded: bytes) -> None:
        kind = "page" if PAGE_SEPARATOR in key else "key"
        self.largest[kind] = max(self.largest[kind], len(encoded))
        super().put(rule_id, key, value, encoded)


def feed(engine: Engine, events: list[dict]) -> list[str]:
    """The alert ids of processing the events (the last one's time moves the watermark)."""
    return [a.alert_id for e in events for a in engine.process(e, detected_at=DETECTED_AT)]


def test_a_school_has_one_key_and_one_timer_however_many_students():
    """300 students' payments wait for the watermark (90 days' lateness): one timer for all."""
    engine = Engine(rule_set(RULE, lateness_minutes=60 * 24 * 90), JsonRoundTripStore())
    feed(engine, school_of(300))
    entries = list(engine.store.items())
    keys = [key for _, key, _ in entries if PAGE_SEPARATOR not in key]
    assert keys == [f"{SCHOOL}|aid"]
    assert [key for _, key, entry in entries if entry.get("timer")] == keys
    assert engine.store.get("F6", keys[0])["timer"] == "2026-10-10T10:00:00+08:00"
    assert len(entries) - 1 > 200  # the students' pages (of 256)


def test_a_timer_opens_only_the_pages_with_something_due():
    stranger = student_id(301)
    events = [registration(n) for n in range(1, 301)]
    events.append(aid("D1", stranger, at="2026-10-10T10:00:00+08:00"))
    store = RecordedStore()
    engine = Engine(rule_set(RULE), store)
    feed(engine, events)
    store.pages_read.clear()
    [alert] = engine.advance_watermark(at("2026-10-11T00:00:00+08:00"), detected_at=DETECTED_AT)
    assert alert.subject["id"] == stranger
    assert store.pages_read == [page_key(f"{SCHOOL}|aid", shard_of(stranger, STUDENT_PAGES))]


def test_a_page_stays_far_below_the_entry_limit_for_a_school_of_5000_students():
    """Six payments a student (three categories, two terms), uuid-long ids, and student
    ids that are real pseudonyms: hashes, which a hash spreads over pages unevenly."""
    categories = ("boarding_living_allowance", "national_grant", "nutrition_supplement")
    terms = {"2026-2027-1": "2026-10-10T10:00:00+08:00", "2026-2027-2": "2027-03-10T10:00:00+08:00"}
    events = []
    for n in range(1, 5001):
        student = pseudonym("student_id", str(n), b"test-key")
        enrolled = registration(n)
        enrolled["data"]["student"]["student_id"] = student
        events.append(enrolled)
        for (term, paid_at), category in itertools.product(terms.items(), categories):
            disbursement = str(uuid.uuid5(uuid.NAMESPACE_OID, f"{n}/{term}/{category}"))
            events.append(aid(disbursement, student, at=paid_at, term=term, category=category))
    store = LargestEntries()
    engine = Engine(rule_set(RULE), store)  # the engine refuses any entry above 256 KB
    feed(engine, events)
    engine.flush(detected_at=DETECTED_AT)
    assert 20_000 < store.largest["page"] < DEFAULT_MAX_ENTRY_BYTES // 4
    assert store.largest["key"] < 16 * 1024
    assert list(store.items()) == []  # every record dropped at the end of its retention


def test_retention_drops_a_students_record_and_no_other():
    key = f"{SCHOOL}|aid"
    page = page_key(key, shard_of(STUDENT, STUDENT_PAGES))
    engine = Engine(rule_set(RULE, lateness_minutes=0, retention_days=30), JsonRoundTripStore())
    feed(
        engine,
        [
            registration(1, at="2026-09-01T09:00:00+08:00"),
            aid("D1", STUDENT, at="2026-09-10T10:00:00+08:00"),  # the student's latest event
            registration(2, at="2026-09-20T09:00:00+08:00"),
        ],
    )
    assert STUDENT in engine.store.get("F6", page)["state"]
    # kept to the end of the day its retention ends (30 days after 09-10T10:00)
    engine.advance_watermark(at("2026-10-10T23:59:00+08:00"), detected_at=DETECTED_AT)
    assert STUDENT in engine.store.get("F6", page)["state"]
    engine.advance_watermark(at("2026-10-11T00:00:00+08:00"), detected_at=DETECTED_AT)
    assert STUDENT not in (engine.store.get("F6", page) or {"state": {}})["state"]
    assert engine.store.get("F6", key)["timer"] == "2026-10-21T00:00:00+08:00"
    # the registration went with the record: a later payment finds no enrollment
    [alert] = feed(engine, [aid("D2", STUDENT, at="2026-10-11T10:00:00+08:00")]) + [
        a.alert_id for a in engine.flush(detected_at=DETECTED_AT)
    ]
    assert alert == run(RULE, [aid("D2", STUDENT, at="2026-10-11T10:00:00+08:00")])[0]["alert_id"]
    assert list(engine.store.items()) == []


def test_a_roster_loaded_over_one_day_expires_at_one_moment():
    """One timer firing drops a whole day's roster load, not one firing per page."""
    times = [f"2026-09-01T{8 + n % 12:02d}:{n % 60:02d}:00+08:00" for n in range(1, 301)]
    engine = Engine(rule_set(RULE, lateness_minutes=0, retention_days=30), JsonRoundTripStore())
    feed(engine, [registration(n, at=moment) for n, moment in enumerate(times, start=1)])
    state = engine.store.get("F6", f"{SCHOOL}|aid")
    assert set(state["state"]["due"].values()) == {"2026-10-02T00:00:00+08:00"}
    engine.advance_watermark(at("2026-10-02T00:00:00+08:00"), detected_at=DETECTED_AT)
    assert list(engine.store.items()) == []


def test_out_of_order_payments_across_students_give_the_same_alerts():
    events = school_of(10) + [
        aid("X1", student_id(20), at="2026-10-15T10:00:00+08:00"),
        withdrawal(4, at="2026-11-01T09:00:00+08:00"),
        aid("X2", student_id(4), at="2026-11-20T10:00:00+08:00", category="national_grant"),
    ]
    alerts = assert_order_independent(RULE, events, lateness_minutes=60 * 24 * 60)
    assert sorted((a["subject"]["id"], a["details"]["finding"]) for a in alerts) == sorted(
        [(student_id(n), "duplicate") for n in (1, 3, 5, 7, 9)]
        + [(student_id(20), "not_enrolled"), (student_id(4), "not_enrolled")]
    )


def test_alert_ids_are_those_of_the_per_student_layout():
    """Rule 1.0.0 kept one key per student; the school key changed where state lives, not
    what is found: the same alerts, with the same ids."""
    events = [
        registration(1),
        aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
        aid("D2", STUDENT, at="2026-10-12T10:00:00+08:00"),
        aid("D3", student_id(2), at="2026-10-11T10:00:00+08:00"),
    ]
    assert [(a["details"]["finding"], a["alert_id"]) for a in run(RULE, events)] == [
        ("not_enrolled", "34a4ae6b635bb4f7ec90e139b3afd035"),
        ("duplicate", "d09d83be658be7b3d9096b9c7c16a9a9"),
    ]


def test_a_page_is_settled_again_only_when_needed(monkeypatch: pytest.MonkeyPatch) -> None:
    """An event that changes one student and leaves nothing due only moves the page's due time;
    the same events with every page re-read on every event give the same alerts and state."""
    rng = random.Random(7)
    events = []
    for n in range(1, 400):  # 400 students over 256 pages: pages shared, students revisited
        day = rng.randrange(1, 28)
        events.append(registration(n, at=f"2026-09-{day:02d}T09:00:00+08:00"))
        for payment in range(rng.choice([0, 0, 1, 2])):
            month = rng.choice(["09", "10", "11"])
            events.append(
                aid(f"D{n}-{payment}", student_id(n), at=f"2026-{month}-15T10:00:00+08:00")
            )
        if rng.random() < 0.1:
            events.append(withdrawal(n, at=f"2026-10-{rng.randrange(1, 28):02d}T09:00:00+08:00"))
        if rng.random() < 0.05:  # paid, never registered: a student of its own
            events.append(aid(f"X{n}", student_id(10_000 + n), at="2026-10-20T10:00:00+08:00"))
    events = shuffled(events, seed=3)

    def alerts_and_state() -> tuple[list[list[dict]], dict]:
        engine = Engine(rule_set(RULE, lateness_minutes=60 * 24 * 30), JsonRoundTripStore())
        per_event = [
            [alert.to_dict() for alert in engine.process(e, detected_at=DETECTED_AT)]
            for e in events
        ]
        return per_event, {(rule, key): value for rule, key, value in engine.store.items()}

    fast = alerts_and_state()
    monkeypatch.setattr(f6_student_aid, "_only_this_student_moved", lambda *_: None)
    assert alerts_and_state() == fast
    assert any(fast[0]), "some disbursements were judged while the stream ran"


LATENESS_MINUTES = 24 * 60
"""Events a day apart or less do not move the watermark past each other: the tests below
move it themselves, with ``watermark_to``."""


def watermark_to(engine: Engine, moment: str) -> list[Alert]:
    return engine.advance_watermark(
        at(moment) + timedelta(minutes=LATENESS_MINUTES), detected_at=DETECTED_AT
    )


def test_a_timer_that_judges_payments_rewrites_no_page():
    """The aid day: a school's payments fall due together. The timer judges them all and
    writes only the school's key, whose "through" covers them, not each page with a payment."""
    store = RecordedStore()
    engine = Engine(rule_set(RULE, lateness_minutes=LATENESS_MINUTES), store)
    paid_at = [f"2026-10-10T10:{n % 60:02d}:00+08:00" for n in range(1, 301)]
    events = [registration(n) for n in range(1, 301) if n % 50]  # six never registered
    events += [aid(f"D{n}", student_id(n), at=moment) for n, moment in enumerate(paid_at, start=1)]
    feed(engine, sorted(events, key=lambda e: e["time"]))
    store.written.clear()
    alerts = watermark_to(engine, "2026-10-11T00:00:00+08:00")
    assert sorted(a.subject["id"] for a in alerts) == sorted(
        student_id(n) for n in range(50, 301, 50)
    )
    assert store.written == [f"{SCHOOL}|aid"]
    state = store.get("F6", f"{SCHOOL}|aid")["state"]
    assert state["through"] == "2026-10-11T00:00:00+08:00"
    assert all(
        student["judged"] == []
        for _, key, entry in store.items()
        if PAGE_SEPARATOR in key
        for student in entry["state"].values()
    )


def judged_through_a_timer() -> Engine:
    """Student 1 enrolled and paid D1; student 2 never registered and paid D2; a timer has
    judged both (and reported D2)."""
    engine = Engine(rule_set(RULE, lateness_minutes=LATENESS_MINUTES), JsonRoundTripStore())
    feed(
        engine,
        [
            registration(1),
            aid("D1", STUDENT, at="2026-10-10T10:00:00+08:00"),
            aid("D2", student_id(2), at="2026-10-10T11:00:00+08:00"),
        ],
    )
    [alert] = watermark_to(engine, "2026-10-11T00:00:00+08:00")
    assert alert.subject["id"] == student_id(2)
    return engine


def test_a_payment_recorded_after_the_timer_that_passed_its_time_is_judged_once():
    engine = judged_through_a_timer()
    late = aid("D3", STUDENT, at="2026-10-10T12:00:00+08:00")  # same term and category as D1
    [duplicate] = engine.process(late, detected_at=DETECTED_AT)
    assert duplicate.details["finding"] == "duplicate"
    assert duplicate.evidence_event_ids == ("aid-D1", "aid-D3")
    assert engine.process(late, detected_at=DETECTED_AT) == []  # re-sent
    assert watermark_to(engine, "2026-10-12T00:00:00+08:00") == []
    assert engine.flush(detected_at=DETECTED_AT) == []


@pytest.mark.parametrize(
    "paid_at", ["2026-10-10T11:00:00+08:00", "2026-10-11T10:00:00+08:00"], ids=["same", "moved on"]
)
def test_a_payment_sent_again_after_its_judgement_is_not_judged_again(paid_at):
    """Re-sent (a redelivered batch, a corrected time): still judged, even when its time is
    now after the timer's."""
    engine = judged_through_a_timer()
    assert engine.process(aid("D2", student_id(2), at=paid_at), detected_at=DETECTED_AT) == []
    assert watermark_to(engine, "2026-10-12T00:00:00+08:00") == []
    assert engine.flush(detected_at=DETECTED_AT) == []


def test_a_state_stored_before_through_goes_on_from_its_judged_lists():
    """Until a timer sets "through", a key has none, as every key stored by the rule before:
    its pages list each judged payment, and those stay judged."""
    key = f"{SCHOOL}|aid"
    page = shard_of(STUDENT, STUDENT_PAGES)
    paid = {
        "t": "2026-10-10T10:00:00+08:00",
        "e": "aid-D1",
        "group": "2026-2027-1/national_grant",
        "amount": 100000,
    }
    student = {
        "district": None,
        "enrolled": None,
        "left": None,
        "aid": {"D1": paid},
        "judged": ["D1"],
    }
    store = JsonRoundTripStore()
    for entry_key, state, timer in [
        (
            key,
            {"school": SCHOOL, "due": {page: "2027-11-15T00:00:00+08:00"}},
            "2027-11-15T00:00:00+08:00",
        ),
        (page_key(key, page), {STUDENT: student}, None),
    ]:
        encoded = orjson.dumps({"state": state, "timer": timer})
        store.put("F6", entry_key, orjson.loads(encoded), encoded)
    engine = Engine(rule_set(RULE, lateness_minutes=LATENESS_MINUTES), store)
    again = aid("D4", STUDENT, at="2026-10-20T10:00:00+08:00", category="national_grant")
    assert engine.process(again, detected_at=DETECTED_AT) == []  # D1 is not judged again
    alerts = watermark_to(engine, "2026-10-21T00:00:00+08:00")
    assert [(a.details["finding"], a.evidence_event_ids) for a in alerts] == [
        ("not_enrolled", ("aid-D4",)),
        ("duplicate", ("aid-D1", "aid-D4")),
    ]
    assert engine.flush(detected_at=DETECTED_AT) == []
