"""Contract-valid enrollment events for the enrollment rules' tests."""

from __future__ import annotations

from typing import Any

from services.detectors.testing import SCHOOL, event

TERM = "2026-2027-1"


def student_id(n: int) -> str:
    return f"pn:{n:032x}"


def id_number(n: int) -> str:
    return f"pn:{n + 0xABC000:032x}"


def roster(
    snapshot_id: str, *classes: tuple[str, int, int], day: str = "2026-09-10", term: str = TERM
) -> dict[str, Any]:
    return event(
        "enrollment.roster_snapshot",
        {
            "snapshot_id": snapshot_id,
            "snapshot_date": day,
            "taken_at": f"{day}T08:00:00+08:00",
            "term": term,
            "classes": [
                {
                    "class_id": cid,
                    "class_name": f"{grade}年级",
                    "grade": grade,
                    "student_count": count,
                    "head_teacher_staff_id": None,
                }
                for cid, grade, count in classes
            ],
            "total_students": sum(count for _, _, count in classes),
        },
        at=f"{day}T08:00:00+08:00",
        event_id=f"roster-{snapshot_id}",
    )


def registration(
    n: int,
    *,
    at: str = "2026-09-01T09:00:00+08:00",
    school: str = SCHOOL,
    person: int | None = None,
    grade: int = 3,
) -> dict[str, Any]:
    return event(
        "enrollment.registration",
        {
            "registration_id": f"REG-{school}-{n}",
            "registered_at": at,
            "student": {
                "student_id": student_id(n),
                "id_number": id_number(person if person is not None else n),
                "name": "pn:" + "c" * 32,
                "gender": "female",
            },
            "entry_date": at[:10],
            "grade": grade,
            "class_id": "C-3-1",
            "hukou_type": "rural",
            "is_boarding": False,
            "nutrition_plan_beneficiary": True,
        },
        at=at,
        event_id=f"reg-{school}-{n}",
        school=school,
    )


def withdrawal(
    n: int, *, at: str, school: str = SCHOOL, person: int | None = None, reason: str = "dropped_out"
) -> dict[str, Any]:
    return event(
        "enrollment.withdrawal",
        {
            "withdrawal_id": f"WD-{school}-{n}",
            "student": {
                "student_id": student_id(n),
                "id_number": id_number(person if person is not None else n),
            },
            "class_id": "C-3-1",
            "effective_date": at[:10],
            "reason": reason,
        },
        at=at,
        event_id=f"wd-{school}-{n}",
        school=school,
    )


def transfer(
    n: int,
    *,
    at: str,
    from_school: str,
    to_school: str,
    school: str = SCHOOL,
    person: int | None = None,
) -> dict[str, Any]:
    return event(
        "enrollment.transfer",
        {
            "transfer_id": f"TR-{n}",
            "student": {
                "student_id": student_id(n),
                "id_number": id_number(person if person is not None else n),
            },
            "from_school_id": from_school,
            "to_school_id": to_school,
            "to_class_id": None,
            "effective_date": at[:10],
            "approved_at": at,
            "reason": "family_relocation",
        },
        at=at,
        event_id=f"tr-{n}-{school}",
        school=school,
    )


def attendance(
    sheet_id: str,
    day: str,
    present: list[int],
    absent: list[int] = (),
    *,
    kind: str = "class_attendance",
) -> dict[str, Any]:
    return event(
        "enrollment.attendance",
        {
            "sheet_id": sheet_id,
            "date": day,
            "recorded_at": f"{day}T08:30:00+08:00",
            "kind": kind,
            "class_id": "C-3-1" if kind == "class_attendance" else None,
            "meal": "lunch" if kind == "canteen_swipe" else None,
            "present": [student_id(n) for n in present],
            "absent": [{"student_id": student_id(n), "reason": "sick_leave"} for n in absent],
        },
        at=f"{day}T08:30:00+08:00",
        event_id=f"att-{sheet_id}",
    )


def admission_plan(
    plan_id: str, quota: int, *, at: str = "2026-06-01T09:00:00+08:00"
) -> dict[str, Any]:
    return event(
        "enrollment.admission_plan",
        {
            "plan_id": plan_id,
            "school_year": 2026,
            "grade": 1,
            "approved_quota": quota,
            "approved_classes": 2,
            "approved_by": "涪陵区教育委员会",
            "approved_at": at,
        },
        at=at,
        event_id=f"plan-{plan_id}",
    )


def admission(n: int, plan_id: str = "PLAN-1", *, at: str | None = None) -> dict[str, Any]:
    at = at or f"2026-07-{1 + n % 28:02d}T09:00:00+08:00"
    return event(
        "enrollment.admission",
        {
            "admission_id": f"ADM-{n}",
            "admitted_at": at,
            "school_year": 2026,
            "grade": 1,
            "applicant": {"id_number": id_number(n), "name": "pn:" + "d" * 32},
            "admission_basis": "catchment",
            "catchment_zone_id": "Z-1",
            "address_zone_id": "Z-1",
            "plan_id": plan_id,
        },
        at=at,
        event_id=f"adm-{n}",
    )
