"""Building the district from the seed: schools of every kind, their classes, staff and suppliers.

Every school is built from its own ``random.Random`` (seed and school number), so a
school looks the same whatever the size of the district it is part of.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from services.ingest.simulator.model import (
    Leadership,
    Organization,
    School,
    SchoolClass,
    Staff,
    Vendor,
)
from services.ingest.simulator.organizations import ENTERPRISE, PUBLIC_INSTITUTION, credit_code
from services.ingest.simulator.people import person_name
from services.ingest.simulator.reference import AGENCY_NAMES, TOWNS, VENDOR_WORDS
from services.ingest.simulator.scenario import Scenario

# The first five schools cover every kind that some rule needs (nutrition plan, boarding,
# compulsory and senior high); larger districts draw the rest.
GUARANTEED_KINDS = (
    ("primary", "rural"),
    ("primary", "urban"),
    ("nine_year", "rural"),
    ("junior", "urban"),
    ("high", "urban"),
)
KIND_WEIGHTS = {("primary", "rural"): 30, ("primary", "urban"): 22, ("junior", "rural"): 10, ("junior", "urban"): 12,
                ("nine_year", "rural"): 10, ("high", "urban"): 12, ("high", "rural"): 4}  # fmt: skip
GRADES = {
    "primary": range(1, 7),
    "junior": range(7, 10),
    "nine_year": range(1, 10),
    "high": range(10, 13),
}
# (classes per grade, class size) ranges; sizes stay below the 45/50 standards (rule E3).
CLASS_SHAPES = {
    ("primary", "urban"): ((3, 5), (36, 43)),
    ("primary", "rural"): ((1, 2), (22, 40)),
    ("junior", "urban"): ((6, 9), (40, 47)),
    ("junior", "rural"): ((2, 4), (34, 46)),
    ("nine_year", "rural"): ((1, 2), (26, 42)),
    ("high", "urban"): ((8, 12), (42, 47)),
    ("high", "rural"): ((4, 6), (40, 47)),
}
GRADE_NAMES = "一二三四五六七八九"
HIGH_GRADE_NAMES = {10: "高一", 11: "高二", 12: "高三"}
KIND_NAMES = {
    "primary": "小学",
    "junior": "中学",
    "nine_year": "九年一贯制学校",
    "high": "高级中学",
}
SCHOOLS_PER_FOOD_SUPPLIER = 4
# Procurement vendors per school and the bounds: pools grow with the district so that each vendor
# bids often enough for the peer comparisons (Cardinal's R025, R038, R048) to have a stable population.
VENDORS_PER_SCHOOL = {
    "goods": (0.4, 8, 60),
    "services": (0.18, 7, 30),
    "works": (0.08, 6, 20),
    "emall": (0.25, 9, 40),
}


@dataclass(frozen=True, slots=True)
class District:
    scenario: Scenario
    schools: tuple[School, ...]
    vendors: dict[str, tuple[Vendor, ...]]  # by kind: food, goods, services, works, agency


def build_district(scenario: Scenario) -> District:
    vendors = _vendors(scenario)
    schools = tuple(_school(scenario, index, vendors) for index in range(scenario.schools))
    return District(scenario, schools, vendors)


def _vendors(scenario: Scenario) -> dict[str, tuple[Vendor, ...]]:
    counts = {
        "food": max(3, -(-scenario.schools // SCHOOLS_PER_FOOD_SUPPLIER)),
        **{
            kind: min(most, max(fewest, math.ceil(scenario.schools * rate)))
            for kind, (rate, fewest, most) in VENDORS_PER_SCHOOL.items()
        },
        "agency": len(AGENCY_NAMES),
    }
    suffix = {
        "food": "食品配送有限公司",
        "goods": "科教设备有限公司",
        "services": "物业服务有限公司",
        "works": "建筑工程有限公司",
        "emall": "商贸有限公司",
    }
    vendors: dict[str, tuple[Vendor, ...]] = {}
    serial = 0
    for kind, count in counts.items():
        made = []
        for number in range(count):
            serial += 1
            if kind == "agency":
                name = AGENCY_NAMES[number]
            else:
                name = f"重庆{TOWNS[serial % len(TOWNS)]}{VENDOR_WORDS[serial // len(TOWNS) % len(VENDOR_WORDS)]}{suffix[kind]}"
            licence = f"JY1500102{serial:07d}" if kind == "food" else None
            made.append(
                Vendor(
                    credit_code(ENTERPRISE, scenario.district_id, serial),
                    name,
                    kind,
                    f"5001{serial:012d}",
                    licence,
                )
            )
        vendors[kind] = tuple(made)
    return vendors


def _school(scenario: Scenario, index: int, vendors: dict[str, tuple[Vendor, ...]]) -> School:
    rng = random.Random(f"{scenario.seed}|school|{index}")
    if index < len(GUARANTEED_KINDS):
        kind, location = GUARANTEED_KINDS[index]
    else:
        shapes = list(KIND_WEIGHTS)
        kind, location = rng.choices(shapes, weights=[KIND_WEIGHTS[shape] for shape in shapes])[0]
    school_id = f"{scenario.district_id}{index + 1:05d}"
    if location == "urban":
        name = f"重庆市涪陵第{index + 1}{KIND_NAMES[kind]}"
    else:
        branch = index // len(TOWNS)
        name = f"重庆市涪陵区{TOWNS[index % len(TOWNS)]}{KIND_NAMES[kind]}{f'第{branch + 1}分校' if branch else ''}"
    serials = iter(range(1, 1000))

    def hire(role: str) -> Staff:
        return Staff(
            f"T{school_id}{next(serials):03d}", person_name(rng, male=rng.random() < 0.5), role
        )

    staff = Leadership(
        principal=hire("principal"),
        party_secretary=hire("party_secretary"),
        vice_principal=hire("vice_principal"),
        finance_officer=hire("finance_officer"),
        canteen_manager=hire("canteen_manager"),
        accountant=hire("accountant"),
        cashier=hire("cashier"),
        purchaser=hire("purchaser"),
        storekeeper=hire("storekeeper"),
        food_safety_officer=hire("food_safety_officer"),
        department_heads=(hire("department_head"), hire("department_head")),
        teachers=tuple(hire("teacher") for _ in range(4)),
    )
    classes = _classes(rng, kind, location, hire)
    organization = Organization(
        credit_code(PUBLIC_INSTITUTION, scenario.district_id, index + 1), name
    )
    boarding = (
        kind in ("high", "nine_year")
        or (kind == "junior" and location == "rural")
        or (kind == "primary" and location == "rural" and rng.random() < 0.3)
    )
    return School(
        index=index,
        school_id=school_id,
        name=name,
        kind=kind,
        location=location,
        nutrition_plan="national" if location == "rural" and kind != "high" else "none",
        boarding=boarding,
        catchment_zone_id=f"ZONE-{school_id}",
        organization=organization,
        account_no=f"3100{index + 1:012d}",
        classes=classes,
        staff=staff,
        food_supplier=vendors["food"][index // SCHOOLS_PER_FOOD_SUPPLIER % len(vendors["food"])],
        agency=vendors["agency"][index % len(vendors["agency"])],
    )


def _classes(
    rng: random.Random, kind: str, location: str, hire: Callable[[str], Staff]
) -> tuple[SchoolClass, ...]:
    (fewest, most), (smallest, largest) = CLASS_SHAPES[(kind, location)]
    classes = []
    for grade in GRADES[kind]:
        position = 0
        for number in range(1, rng.randint(fewest, most) + 1):
            size = rng.randint(smallest, largest)
            grade_name = HIGH_GRADE_NAMES.get(grade) or f"{GRADE_NAMES[grade - 1]}年级"
            classes.append(
                SchoolClass(
                    f"G{grade:02d}C{number:02d}",
                    f"{grade_name}{number}班",
                    grade,
                    size,
                    position,
                    hire("class_teacher"),
                )
            )
            position += size
    return tuple(classes)
