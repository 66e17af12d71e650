"""F6 · 资助发放给非在籍学生或重复发放 / Aid paid to a student not enrolled, or twice in a term

Student aid goes to enrolled students, once per category and term. The rule
joins a student's ``finance.aid_disbursement`` events with the school's
``enrollment.registration``, ``enrollment.withdrawal`` and ``enrollment.transfer``
(out) events for that student and judges each disbursement when the watermark
passes it: ``not_enrolled`` when no registration covers the payment date,
``duplicate`` when an earlier disbursement of the same category and term exists
(the first one, in event-time order, is legitimate). A student's record is
dropped at the end of the day (China time) ``retention_days`` after its latest event.

Kind: join (key: the school, so that a school has one timer however many students
it pays; the students' records are kept in pages by a hash of their id, see
``STUDENT_PAGES``). Subject: the student (pseudonym); one alert per disbursement
and finding. Amounts in 元.
Source: 学生资助管理 (受助学生须具有正式学籍、同一学期同一项目不得重复资助) ◐; 财政部等三部门 2024 通知 ◐.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from services.detectors.core.eventtime import format_time, local_date, parse_time, start_of
from services.detectors.core.findings import stored_finding, yuan
from services.detectors.core.model import (
    Comparison,
    Event,
    Finding,
    RiskArea,
    RuleKind,
    Severity,
    SubjectKind,
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

AID = "cn.edu.qinglian.finance.aid_disbursement.v1"
REGISTRATION = "cn.edu.qinglian.enrollment.registration.v1"
WITHDRAWAL = "cn.edu.qinglian.enrollment.withdrawal.v1"
TRANSFER = "cn.edu.qinglian.enrollment.transfer.v1"


@dataclass(frozen=True)
class Parameters:
    retention_days: int = 400


STUDENT_PAGES = 256
"""Students are spread over this many pages by a hash of their id. A student's record
with six payments in its retention (uuid-long ids) is about 1.3 KB, so a school of
5,000 students has about 25 KB a page and, as the hash spreads them, some 45 KB in its
fullest page (see the tests): under a fifth of the engine's 256 KB entry limit, room for
schools several times larger or for ids of the contract's full 128 characters (~85 KB).
Each event rewrites one page and the key, whose index holds ~35 bytes a page (9 KB at
most): 128 pages would double the page an event rewrites, 512 would double the key."""

# State. The school's key: {"school": id, "due": {page: time}, "through": time}, where a
# page's due time is the earliest moment one of its records needs attention (a payment the
# watermark passes, a retention that ends); the key's one timer is the earliest of them, and
# on_timer opens only the pages due by then. Due times are ``format_time`` text, which sorts
# as the times do (always +08:00, fixed-width fields, no fraction or six digits of it, "+"
# before "."), so the index is compared without parsing it at every event.
# "through" is the watermark of the key's latest timer (absent before its first, and in states
# stored before it existed): that timer judged every disbursement recorded up to it, so these
# need no mark of their own. When a timer marked each one, it rewrote every page with a payment
# at once: the district's aid day was the worker's largest batch (22,343 entries and 25.6 MB
# of JSON at 1,000 schools, counted without Kafka). A disbursement recorded later with a time
# at or before "through" is marked "late"; one judged otherwise is listed in its student's
# "judged".
# A page: {student id: {"district": of the student's first event, "enrolled" and "left":
# [time, event id] or null, "aid": {disbursement id: {"t", "e", "group", "amount"[, "late"]}},
# "judged": [disbursement id, ...]}}.

Judged = tuple[datetime, str, Finding]
"""A finding with its student's due time and id: findings come in that order, the order
in which one timer per student (rule 1.0.0's layout) fired."""


def state_keys(event: Event, params: Parameters) -> list[str]:
    if event["type"] == TRANSFER and event["data"]["from_school_id"] != event["schoolid"]:
        return []
    return [school_key(event, "aid")]


def on_event(state: State, event: Event, ctx: RuleContext[Parameters]) -> Step:
    student_id = event["data"]["student"]["student_id"]
    state = state or {"school": event["schoolid"], "due": {}}
    pages = PageEdits(ctx.pages)
    page = shard_of(student_id, STUDENT_PAGES)
    students = pages.edit(page)
    before = students.get(student_id)
    through = state.get("through")
    students[student_id] = after = _recorded(before, event, through)
    page_due = _only_this_student_moved(state["due"].get(page), before, after, through, ctx)
    if page_due is None:
        state = _own_copy(state)
        return _step(state, pages, _settle(state, pages, page, through, ctx))
    if state["due"].get(page) == page_due and ctx.timer is not None:
        # Unchanged, the state is the one handed in and keeps its timer: the engine does not
        # write the key again (most of a roster load: a new student is due after the page's
        # earliest), and the earliest of its 256 pages is not sought again.
        return Step(state, ctx.timer, (), pages.changed)
    state = _own_copy(state)
    state["due"][page] = page_due
    return _step(state, pages, [])


def _only_this_student_moved(
    page_due: str | None,
    before: Page | None,
    after: Page,
    through: str | None,
    ctx: RuleContext[Parameters],
) -> str | None:
    """The page's new due time when nothing on it needs attention yet, or None: settle the page.

    Its other students' due times are all at or after ``page_due``, which the watermark has not
    reached; if the changed student was not the one setting it (a new student, as in the
    roster load, always), the page's due time is the earlier of it and the student's new one,
    and no record is to be judged or dropped. Reading every student of the page again was
    most of F6's time per event.
    """
    watermark = format_time(ctx.watermark) if ctx.watermark is not None else None
    due = format_time(_due(after, through, ctx.params))
    if watermark is not None and due <= watermark:
        return None
    if page_due is None:
        return due if before is None else None
    if watermark is not None and page_due <= watermark:
        return None
    if before is not None and format_time(_due(before, through, ctx.params)) <= page_due:
        return None
    return min(page_due, due)


def on_timer(state: State, ctx: RuleContext[Parameters]) -> Step:
    """Opens only the pages whose due time the watermark has passed; after them, every
    disbursement recorded up to the watermark is judged: the key's "through" says so."""
    state = _own_copy(state)
    pages = PageEdits(ctx.pages)
    if ctx.watermark is None:
        return _step(state, pages, [])
    watermark = format_time(ctx.watermark)
    judged_through = state.get("through")
    state["through"] = watermark
    due_pages = sorted(page for page, due in state["due"].items() if due <= watermark)
    judged = [j for page in due_pages for j in _settle(state, pages, page, judged_through, ctx)]
    return _step(state, pages, judged)


def _own_copy(state: State) -> State:
    """The key's state with its own index of due pages, the one thing a step changes in it:
    the stored state stays as it was (the rule copies its state itself, see RuleMeta)."""
    return {**state, "due": dict(state["due"])}


def _recorded(student: Page | None, event: Event, through: str | None) -> Page:
    """The student's record with the event in it (a new record, not a changed one).
    A disbursement recorded again keeps its judgement; a new one at or before ``through``
    is late: the timer that judged up to then did not see it."""
    data = event["data"]
    student = student or {
        "district": event.get("districtid"),
        "enrolled": None,
        "left": None,
        "aid": {},
        "judged": [],
    }
    if event["type"] == REGISTRATION:
        enrolled = parse_time(data["registered_at"])
        return {**student, "enrolled": [format_time(enrolled), event["id"]]}
    if event["type"] in (WITHDRAWAL, TRANSFER):
        left = start_of(date.fromisoformat(data["effective_date"]))
        return {**student, "left": [format_time(left), event["id"]]}
    disbursement = data["disbursement_id"]
    paid = {
        "t": format_time(parse_time(data["paid_at"])),
        "e": event["id"],
        "group": f"{data['term']}/{data['aid_category']}",
        "amount": data["amount_fen"],
    }
    earlier = student["aid"].get(disbursement)
    was_judged = earlier is not None and _is_judged(student, disbursement, earlier, through)
    if not was_judged and _is_judged(student, disbursement, paid, through):
        paid["late"] = True
    student = {**student, "aid": {**student["aid"], disbursement: paid}}
    if was_judged and not _is_judged(student, disbursement, paid, through):
        student["judged"] = [*student["judged"], disbursement]
    return student


def _is_judged(student: Page, disbursement: str, paid: dict, through: str | None) -> bool:
    """Judged by a timer up to ``through`` (unless recorded after it) or listed as judged."""
    covered = through is not None and paid["t"] <= through and not paid.get("late")
    return covered or disbursement in student["judged"]


def _settle(
    state: State,
    pages: PageEdits,
    page: str,
    judged_through: str | None,
    ctx: RuleContext[Parameters],
) -> list[Judged]:
    """Judge the page's disbursements that the watermark has passed, drop the records
    whose retention has ended, and index when the page is next due.

    ``judged_through``: the key's "through" before this step; the state's is the one after
    it. A disbursement the latter covers is not listed in "judged", so a timer rewrites
    only the pages it drops records from."""
    watermark, params, through = ctx.watermark, ctx.params, state.get("through")
    judged: list[Judged] = []
    dues: list[datetime] = []
    for student_id, student in list((pages.get(page) or {}).items()):
        due = _due(student, judged_through, params)
        if watermark is not None and due <= watermark:
            after, findings = _judge(
                state["school"], student_id, student, watermark, judged_through, through
            )
            judged += [(due, student_id, finding) for finding in findings]
            if _expiry(student, params) <= watermark:
                del pages.edit(page)[student_id]
                continue
            if after is not student:
                pages.edit(page)[student_id] = student = after
            due = _due(student, through, params)
        dues.append(due)
    if dues:
        state["due"][page] = format_time(min(dues))
    else:
        pages.delete(page)
        state["due"].pop(page, None)
    return judged


def _step(state: State, pages: PageEdits, judged: list[Judged]) -> Step:
    """The school's one timer is its earliest due page; findings come student by student,
    in the order the students' own timers would have fired."""
    findings = tuple(finding for *_, finding in sorted(judged, key=lambda item: item[:2]))
    if not state["due"]:
        return Step(None, None, findings)
    return Step(state, parse_time(min(state["due"].values())), findings, pages.changed)


def _due(student: Page, through: str | None, params: Parameters) -> datetime:
    """When the record next needs attention: its earliest disbursement not yet judged,
    or the end of its retention."""
    pending = [
        paid["t"] for d, paid in student["aid"].items() if not _is_judged(student, d, paid, through)
    ]
    return parse_time(min(pending)) if pending else _expiry(student, params)


def _expiry(student: Page, params: Parameters) -> datetime:
    """Whole days: the records of one day's events (a roster load) expire at one moment, so
    a school's pages fall due together instead of one timer each (a replay's final flush
    fired F6 once per page, most of its time)."""
    latest = max(
        [paid["t"] for paid in student["aid"].values()]
        + [x[0] for x in (student["enrolled"], student["left"]) if x]
    )  # format_time text, compared as text (see State above)
    return _end_of_retention(latest, params.retention_days)


@functools.lru_cache(maxsize=4096)
def _end_of_retention(latest: str, retention_days: int) -> datetime:
    """Cached: a day's roster load gives thousands of students the same latest time."""
    ends = parse_time(latest) + timedelta(days=retention_days)
    return start_of(local_date(ends) + timedelta(days=1))


def _judge(
    school: str,
    student_id: str,
    student: Page,
    watermark: datetime,
    judged_through: str | None,
    through: str | None,
) -> tuple[Page, list[Finding]]:
    """The student's disbursements up to the watermark judged, in event-time order: those
    ``judged_through`` did not cover. The record comes back as it was when ``through``
    covers them all, so that its page is not rewritten, else with the others listed."""
    findings: list[Finding] = []
    judged = list(student["judged"])
    aid = sorted(student["aid"].items(), key=lambda item: (parse_time(item[1]["t"]), item[0]))
    origin = {"school": school, "district": student["district"]}
    for index, (disbursement, paid) in enumerate(aid):
        moment = parse_time(paid["t"])
        if _is_judged(student, disbursement, paid, judged_through) or moment > watermark:
            continue
        if not _is_judged(student, disbursement, paid, through):
            judged.append(disbursement)
        if not _enrolled(student, moment):
            evidence = [paid["e"], *_enrollment_evidence(student)]
            findings.append(
                _finding(origin, student_id, disbursement, paid, "not_enrolled", evidence)
            )
        earlier = [e for _, e in aid[:index] if e["group"] == paid["group"]]
        if earlier:
            evidence = [earlier[0]["e"], paid["e"]]
            findings.append(_finding(origin, student_id, disbursement, paid, "duplicate", evidence))
    if len(judged) == len(student["judged"]):
        return student, findings
    return {**student, "judged": judged}, findings


def _enrolled(student: Page, moment: datetime) -> bool:
    enrolled, left = student["enrolled"], student["left"]
    return (
        enrolled is not None
        and parse_time(enrolled[0]) <= moment
        and (left is None or moment < parse_time(left[0]))
    )


def _enrollment_evidence(student: Page) -> list[str]:
    return [x[1] for x in (student["enrolled"], student["left"]) if x]


def _finding(
    origin: dict[str, str | None],
    student_id: str,
    disbursement: str,
    paid: dict,
    name: str,
    evidence: list[str],
) -> Finding:
    return stored_finding(
        origin,
        subject=(SubjectKind.STUDENT, student_id),
        measured=yuan(paid["amount"]),
        threshold=0,
        comparison=Comparison.GT,
        evidence=evidence,
        moment=parse_time(paid["t"]),
        record_id=f"{disbursement}/{name}",
        details={"finding": name, "term_and_category": paid["group"], "unit": "元"},
    )


RULE = StatefulRule(
    RuleMeta(
        id="F6",
        version="1.0.0",
        title_zh="资助资金发放给非在籍学生或同学期重复发放",
        title_en="Student aid paid to a student not enrolled, or twice in a term",
        citation="学生资助资金管理：受助学生须为具有正式学籍的在校生，同一学期同一资助项目不得重复享受",
        kind=RuleKind.JOIN,
        severity=Severity.RED,
        risk_area=RiskArea.FINANCE,
        parameters=Parameters,
        event_types=frozenset({AID, REGISTRATION, WITHDRAWAL, TRANSFER}),
        doc=__doc__,
        copies_its_state=True,
    ),
    state_keys,
    on_event,
    on_timer,
)
