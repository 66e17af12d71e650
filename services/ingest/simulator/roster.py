"""Students, derived on demand from their place in the district instead of stored.

A district of 10,000 schools has millions of students; keeping them all in
memory while every school's stream is open would not scale. A student is a
pure function of (seed, school, grade, position in the grade), so any part of
the simulator can name the same child the same way without a shared table.
"""

from __future__ import annotations

import functools
import random
from datetime import date

from services.ingest.simulator.calendar import school_year_of
from services.ingest.simulator.model import School, SchoolClass, Student
from services.ingest.simulator.people import cohort_id_number, is_male, mobile, person_name

ENTRY_AGE = 6  # grade 1 in the September after the sixth birthday
BOARDING_FROM_GRADE = 4


def birth_year(grade: int, school_year: int) -> int:
    return school_year - ENTRY_AGE - (grade - 1)


def student_id_at(school: School, grade: int, position: int, school_year: int) -> str:
    """学籍号 = "G" + the ID number (the national rule for citizens)."""
    return "G" + cohort_id_number(school.index, position, birth_year(grade, school_year))


def class_student_ids(school: School, cls: SchoolClass, school_year: int) -> list[str]:
    return [
        student_id_at(school, cls.grade, cls.first_position + offset, school_year)
        for offset in range(cls.size)
    ]


def student_at(
    seed: int, school: School, grade: int, position: int, class_id: str, school_year: int
) -> Student:
    id_number = cohort_id_number(school.index, position, birth_year(grade, school_year))
    rng = random.Random(f"{seed}|person|{id_number}")
    male = is_male(id_number)
    name = person_name(rng, male=male)
    return Student(
        student_id="G" + id_number,
        id_number=id_number,
        name=name,
        male=male,
        grade=grade,
        class_id=class_id,
        boarding=school.boarding and grade >= BOARDING_FROM_GRADE,
        beneficiary=school.nutrition_plan != "none",
        guardian_name=person_name(rng, male=rng.random() < 0.5, surname=name[0]),
        guardian_phone=mobile(rng),
    )


def class_students(seed: int, school: School, cls: SchoolClass, day: date) -> list[Student]:
    return list(_class_students(seed, school, cls, school_year_of(day)))


@functools.lru_cache(maxsize=1024)
def _class_students(
    seed: int, school: School, cls: SchoolClass, school_year: int
) -> tuple[Student, ...]:
    """Memoized: the attendance, the fees and the canteen of one school day ask for the same class."""
    return tuple(
        student_at(seed, school, cls.grade, cls.first_position + offset, cls.class_id, school_year)
        for offset in range(cls.size)
    )
