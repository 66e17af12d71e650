"""E2 · 空挂学籍 / Phantom enrollment: registered but never seen at school

A registered student with no class attendance, canteen swipe or dormitory
check-in — and no excused absence — for ``inactive_school_days`` (10) school
days in a row may be a phantom (空挂学籍、人籍分离). School days are the days on
which the school recorded class attendance. The rule joins the school's
``enrollment.registration``, ``enrollment.withdrawal``, ``enrollment.transfer``
(out) and ``enrollment.attendance`` events and judges each school day once the
watermark passes its end.

Kind: join (key: the school, because one attendance sheet names many students;
the students are kept in pages by a hash of their id, see ``STUDENT_PAGES``).
A sheet is kept whole in a page of its own until its day is judged (``SEEN``):
a day is judged on the activity up to that day, and a school's students are
updated once a school day instead of once per sheet that names them. A student
seen on the school's latest school day (``RECENT``) is stored without a ``last``
day, so the pages of students who keep coming are not rewritten every school day
(20 schools × 30 days of the simulator: 24,443 entries and 21 MB of JSON written,
where a ``last`` day per student took 77,018 and 69 MB).
Subject: the student (pseudonym); one alert per run of inactivity, whose window
runs from the first missed school day to the day the count was reached.
Source: 《中小学生学籍管理办法》(教基〔2025〕1号) 关于"人籍分离、空挂学籍"的规定 ◐; N days ✘ configurable.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from services.detectors.core.eventtime import local_date, start_of
from services.detectors.core.findings import origin, stored_finding
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    SubjectKind,
    Window,
)
from services.detectors.core.pages import Page, PageEdits, shard_of
from services.detectors.core.rule import (
    RuleContext,
    RuleMeta,
    State,
    StatefulRule,
    Step,
    school_key,
)

REGISTRATION = "cn.edu.qinglian.enrollment.registration.v1"
WITHDRAWAL = "cn.edu.qinglian.enrollment.withdrawal.v1"
TRANSFER = "cn.edu.qinglian.enrollment.transfer.v1"
ATTENDANCE = "cn.edu.qinglian.enrollment.attendance.v1"


@dataclass(frozen=True)
class Parameters:
    inactive_school_days: int = 10
    excused_reasons: tuple[str, ...] = ("sick_leave", "personal_leave")


STUDENT_PAGES = 128
"""Students are spread over this many pages by a hash of their id: a page holds
about 1 KB per 1,000 students of the school."""

RECENT = "recent"
"""The key's latest school day on which activity was applied: the ``last`` day of every
student entry that has none (states stored before it existed have no such entries)."""

SEEN = "seen/"
"""Pages ``seen/<day>/<event id>``: the students one activity event names, kept
until its day is judged. The key's ``pending`` is the first day among them, so
that an event learns whether any is due without listing the key's pages."""


def state_keys(event: Event, params: Parameters) -> list[str]:
    if event["type"] == TRANSFER and event["data"]["from_school_id"] != event["schoolid"]:
        return []
    return [school_key(event, "attendance")]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    data = event["data"]
    state = state or {**origin(event), "days": [], "processed": None, "pending": None, RECENT: None}
    pages = PageEdits(ctx.pages)
    if event["type"] == REGISTRATION:
        sid = data["student"]["student_id"]
        page = pages.edit(shard_of(sid, STUDENT_PAGES))
        known = page.get(sid)
        recent = state.get(RECENT)
        registered = {**(known or {}), "since": data["registered_at"][:10], "event": event["id"]}
        page[sid] = _with_last(registered, None if known is None else _last(known, recent), recent)
    elif event["type"] in (WITHDRAWAL, TRANSFER):
        sid = data["student"]["student_id"]
        page = shard_of(sid, STUDENT_PAGES)
        if sid in (pages.get(page) or {}):
            del pages.edit(page)[sid]
    else:
        day = data["date"]
        if data["kind"] == "class_attendance" and day not in state["days"]:
            state = {**state, "days": sorted([*state["days"], day])}
        seen = set(data["present"]) | {
            a["student_id"] for a in data["absent"] if a["reason"] in ctx.params.excused_reasons
        }
        if state["processed"] is not None and day <= state["processed"]:
            # later than the allowed lateness: its day was judged
            _mark_seen(pages, day, seen, state.get(RECENT))
        else:
            pages.put(f"{SEEN}{day}/{event['id']}", {"students": sorted(seen)})
            if state["pending"] is None or day < state["pending"]:
                state = {**state, "pending": day}
    return _judge_due_days(state, pages, ctx)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    return _judge_due_days(state, PageEdits(ctx.pages), ctx)


def _judge_due_days(state: State, pages: PageEdits, ctx: RuleContext[Parameters]) -> Step:
    """Judges the school days the watermark has passed, then moves the activity of every day
    that has ended into the students' pages (a school may send canteen swipes and no class
    attendance). Hands ``state`` back as it came when nothing is due (most events: the rule
    copies its state only to change it)."""
    findings: list[Finding] = []
    upcoming = _upcoming(state)
    due = _next_due(state, upcoming)
    if ctx.watermark is not None and due is not None and due <= ctx.watermark:
        state = dict(state)
        for day in upcoming:
            if _end(day) > ctx.watermark:
                break
            _apply_seen_through(state, pages, day)
            for name in pages.names():
                if name.startswith(SEEN):
                    continue
                students = pages.get(name) or {}
                for sid, finding in _judge(state, day, students, ctx.params):
                    pages.edit(name)[sid] = {**students[sid], "fired": True}
                    findings.append(finding)
            state["processed"] = day
        ended = (local_date(ctx.watermark) - timedelta(days=1)).isoformat()
        state["pending"] = _apply_seen_through(state, pages, ended)
        upcoming = _upcoming(state)
        done = state["days"][: len(state["days"]) - len(upcoming)]
        state["days"] = done[-ctx.params.inactive_school_days :] + upcoming
        due = _next_due(state, upcoming)
    return Step(state, due, tuple(findings), pages.changed)


def _next_due(state: State, upcoming: list[str]) -> datetime | None:
    """When the key next needs the watermark: the end of its next school day, or of the first
    day whose activity is kept apart."""
    days = [day for day in (*upcoming[:1], state["pending"]) if day is not None]
    return _end(min(days)) if days else None


def _upcoming(state: State) -> list[str]:
    """The school days not judged yet (``days`` is sorted)."""
    processed = state["processed"]
    return state["days"] if processed is None else [d for d in state["days"] if d > processed]


def _apply_seen_through(state: State, pages: PageEdits, day: str) -> str | None:
    """Move the activity of every day up to ``day`` into the students' pages (``state`` is
    the step's own copy); returns the first day whose activity is still kept apart, if any."""
    seen_by_day: dict[str, set[str]] = {}
    kept_from = None
    for name in pages.names():
        if not name.startswith(SEEN):
            continue
        seen_day = name[len(SEEN) :].split("/", 1)[0]
        if seen_day > day:
            kept_from = seen_day  # names sort by day
            break
        seen_by_day.setdefault(seen_day, set()).update((pages.get(name) or {}).get("students", ()))
        pages.delete(name)
    for seen_day, students in seen_by_day.items():
        recent = state.get(RECENT)
        if seen_day in state["days"] and (recent is None or seen_day > recent):
            _move_recent(state, pages, seen_day, students)
        else:
            _mark_seen(pages, seen_day, students, recent)
    return kept_from


def _move_recent(state: State, pages: PageEdits, day: str, seen: set[str]) -> None:
    """Make ``day`` the key's ``RECENT`` school day and mark the students seen on it: only the
    pages of students whose ``last`` day now has to be written out (or no longer) change."""
    recent = state.get(RECENT)
    found: set[str] = set()
    for name in pages.names():
        if name.startswith(SEEN):
            continue
        for sid, stored in list((pages.get(name) or {}).items()):
            student, last = stored, _last(stored, recent)
            if sid in seen:
                found.add(sid)
                if last is None or day > last:
                    student, last = _unfired(stored), day
            moved = _with_last(student, last, day)
            if moved != stored:
                pages.edit(name)[sid] = moved
    for sid in seen - found:  # activity may precede the registration
        pages.edit(shard_of(sid, STUDENT_PAGES))[sid] = {}
    state[RECENT] = day


def _mark_seen(pages: PageEdits, day: str, students: Iterable[str], recent: str | None) -> None:
    for sid in students:  # activity may precede the registration
        page = shard_of(sid, STUDENT_PAGES)
        student = (pages.get(page) or {}).get(sid)
        last = None if student is None else _last(student, recent)
        if last is None or day > last:
            pages.edit(page)[sid] = _with_last(_unfired(student or {}), day, recent)


def _last(student: Page, recent: str | None) -> str | None:
    """The last day a student was seen: its own ``last``, or else the key's ``RECENT`` day."""
    return student.get("last", recent)


def _with_last(student: Page, last: str | None, recent: str | None) -> Page:
    """The student's entry for one last seen on ``last``: with a ``last`` day only when it is
    not the key's ``RECENT`` day."""
    entry = {name: value for name, value in student.items() if name != "last"}
    if last != recent:
        entry["last"] = last
    return entry


def _unfired(student: Page) -> Page:
    """A student's entry once seen again: a new run of missed days may fire again."""
    return {name: value for name, value in student.items() if name != "fired"}


def _judge(state: State, day: str, students: Page, params: Parameters) -> list[tuple[str, Finding]]:
    """The students of one page whose run of missed school days reaches the limit on ``day``."""
    findings = []
    for sid, student in sorted(students.items()):
        if student.get("fired") or "since" not in student:
            continue
        last = _last(student, state.get(RECENT))
        missed = [
            d for d in state["days"] if student["since"] <= d <= day and (last is None or d > last)
        ]
        if len(missed) >= params.inactive_school_days:
            findings.append(
                (
                    sid,
                    stored_finding(
                        state,
                        subject=(SubjectKind.STUDENT, sid),
                        measured=Decimal(len(missed)),
                        threshold=Decimal(params.inactive_school_days),
                        comparison=Comparison.GE,
                        evidence=[student["event"]],
                        moment=_end(day),
                        window=Window(start_of(date.fromisoformat(missed[0])), _end(day)),
                        details={
                            "last_seen": last,
                            "registered": student["since"],
                            "school_days_missed": missed,
                        },
                    ),
                )
            )
    return findings


@functools.lru_cache(maxsize=4096)
def _end(day: str) -> datetime:
    return start_of(date.fromisoformat(day) + timedelta(days=1))


RULE = StatefulRule(
    RuleMeta(
        id="E2",
        version="1.1.0",  # 1.0.0 let activity after a school day clear that day's judgment
        title_zh="空挂学籍（连续多个上学日无任何在校记录）",
        title_en="Phantom enrollment: no attendance or canteen activity for N school days",
        citation="《中小学生学籍管理办法》(教基〔2025〕1号)：严禁人籍分离、空挂学籍",
        kind=RuleKind.JOIN,
        severity=Severity.ORANGE,
        risk_area=RiskArea.ENROLLMENT,
        parameters=Parameters,
        event_types=frozenset({REGISTRATION, WITHDRAWAL, TRANSFER, ATTENDANCE}),
        doc=__doc__,
        copies_its_state=True,
    ),
    state_keys,
    on_event,
    on_timer,
)
