"""The district's people and organisations as plain frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Organization:
    org_id: str
    name: str

    def ref(self) -> dict[str, Any]:
        """As the contracts' ``organization``."""
        return {"id": self.org_id, "name": self.name}


@dataclass(frozen=True, slots=True)
class Vendor(Organization):
    kind: str  # food, goods, services, works, agency
    account_no: str
    licence_no: str | None = None  # 食品经营许可证 for food suppliers


@dataclass(frozen=True, slots=True)
class Staff:
    staff_id: str
    name: str
    role: str

    def ref(self) -> dict[str, Any]:
        """As the contracts' ``staff_ref``."""
        return {"staff_id": self.staff_id, "name": self.name}


@dataclass(frozen=True, slots=True, eq=False)
class SchoolClass:
    """Compared and hashed by identity: cheap keys for the roster's cache."""

    class_id: str
    name: str
    grade: int
    size: int
    first_position: int  # the class's first student's position in its grade cohort
    head_teacher: Staff


@dataclass(frozen=True, slots=True)
class Student:
    student_id: str
    id_number: str
    name: str
    male: bool
    grade: int
    class_id: str
    boarding: bool
    beneficiary: bool  # nutrition plan
    guardian_name: str
    guardian_phone: str

    def ref(self) -> dict[str, Any]:
        """As the contracts' ``student_ref``."""
        return {"student_id": self.student_id, "id_number": self.id_number, "name": self.name}


@dataclass(frozen=True, slots=True)
class Leadership:
    principal: Staff
    party_secretary: Staff
    vice_principal: Staff
    finance_officer: Staff
    canteen_manager: Staff
    accountant: Staff
    cashier: Staff
    purchaser: Staff  # orders food; never inspects their own deliveries
    storekeeper: Staff
    food_safety_officer: Staff
    department_heads: tuple[Staff, ...]
    teachers: tuple[Staff, ...]  # subject teachers without a class

    def leaders(self) -> tuple[tuple[Staff, str], ...]:
        """(staff, role) pairs as the school profile lists them."""
        return (
            (self.principal, "principal"),
            (self.party_secretary, "party_secretary"),
            (self.vice_principal, "vice_principal"),
            (self.finance_officer, "finance_officer"),
            (self.canteen_manager, "canteen_manager"),
        )

    def meal_companions(self) -> tuple[tuple[Staff, str], ...]:
        """Who may eat with the students (陪餐), with their meal-service role."""
        return (
            (self.principal, "principal"),
            (self.party_secretary, "party_secretary"),
            (self.vice_principal, "vice_principal"),
            *((head, "middle_manager") for head in self.department_heads),
        )


@dataclass(frozen=True, slots=True, eq=False)
class School:
    """Compared and hashed by identity: cheap keys for the roster's cache."""

    index: int
    school_id: str
    name: str
    kind: str  # primary, junior, high, nine_year
    location: str  # urban, rural
    nutrition_plan: str  # national, none
    boarding: bool
    catchment_zone_id: str
    organization: Organization
    account_no: str
    classes: tuple[SchoolClass, ...]
    staff: Leadership
    food_supplier: Vendor
    agency: Vendor

    @property
    def entry_grade(self) -> int:
        return {"primary": 1, "nine_year": 1, "junior": 7, "high": 10}[self.kind]

    @property
    def compulsory(self) -> bool:
        return self.kind != "high"

    @property
    def student_count(self) -> int:
        return sum(cls.size for cls in self.classes)

    def grades(self) -> tuple[int, ...]:
        return tuple(sorted({cls.grade for cls in self.classes}))

    def classes_of(self, grade: int) -> tuple[SchoolClass, ...]:
        return tuple(cls for cls in self.classes if cls.grade == grade)
