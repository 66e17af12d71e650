"""Typed views of every event's data, generated from contracts/schemas/ — do not edit.

Regenerate with `qinglian contracts generate` (or `python -m contracts.codegen`).
Annotations are evaluated (no `from __future__ import annotations`) so that
TypedDict sees NotRequired; every name is defined before it is used.
"""

from enum import StrEnum
from typing import Any, Literal, NotRequired, TypedDict


class Severity(StrEnum):
    """等级 / 红 red, 橙 orange, 黄 yellow."""

    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"


class RiskArea(StrEnum):
    """风险领域 / The scenario the rule watches."""

    CANTEEN = "canteen"
    PROCUREMENT = "procurement"
    ENROLLMENT = "enrollment"
    FINANCE = "finance"


class SubjectKind(StrEnum):
    """主体类型 / What the alert is about."""

    VENDOR = "vendor"
    STUDENT = "student"
    STAFF = "staff"
    CONTRACT = "contract"
    TENDER = "tender"
    SCHOOL = "school"
    CLASS = "class"
    INVOICE = "invoice"
    ITEM = "item"
    ACCOUNT = "account"


MoneyFen = int


SignedMoneyFen = int


DecimalString = str


Quantity = str


DatetimeCst = str


Date = str


Month = str


Year = int


Term = str


Grade = int


Identifier = str


SchoolId = str


DistrictId = str


OrgId = str


Ocid = str


ClassId = str


Pseudonym = str


IdNumber = str | Pseudonym


PersonName = str | Pseudonym


Phone = str | Pseudonym


StudentId = str | Pseudonym


StaffId = str | Pseudonym


BankAccount = str | Pseudonym


class Money(TypedDict):
    """金额 / An amount with its currency (OCDS Value)."""

    amount_fen: MoneyFen
    currency: str


class Organization(TypedDict):
    """机构 / An organisation: supplier, bidder, buyer or agency."""

    id: OrgId
    name: str


class StaffRef(TypedDict):
    """教职工 / A staff member."""

    staff_id: StaffId
    name: NotRequired[PersonName]


class StudentRef(TypedDict):
    """学生 / A student, by national student number; ID number and name when the source system sends
    them.
    """

    student_id: StudentId
    id_number: NotRequired[IdNumber]
    name: NotRequired[PersonName]


class Classification(TypedDict):
    """分类 / Item classification (OCDS Classification), e.g. 政府采购品目分类目录 code 'A02010104'."""

    scheme: str
    id: str
    description: NotRequired[str]


class ProcurementItem(TypedDict):
    """采购标的 / An item being procured (OCDS Item)."""

    id: Identifier
    description: str
    classification: Classification
    quantity: NotRequired[Quantity]
    unit: NotRequired[str]


class Period(TypedDict):
    """期间 / A period between two date-times; end is null while open."""

    start: DatetimeCst
    end: DatetimeCst | None


FoodCategory = Literal[
    "grain",
    "oil",
    "meat",
    "poultry",
    "aquatic",
    "egg",
    "dairy",
    "vegetable",
    "fruit",
    "soy",
    "condiment",
    "dry_goods",
    "frozen",
    "other",
]


Unit = Literal[
    "kg",
    "g",
    "jin",
    "L",
    "mL",
    "piece",
    "box",
    "bag",
    "bottle",
    "bucket",
    "dozen",
]


Meal = Literal["breakfast", "lunch", "dinner", "snack"]


ProcurementMethod = Literal["open", "selective", "limited", "direct"]


ProcurementMethodDetails = Literal[
    "公开招标",
    "邀请招标",
    "竞争性谈判",
    "竞争性磋商",
    "询价",
    "单一来源",
    "框架协议",
    "电子卖场",
    "自行采购",
]


ApprovalStepRole = Literal[
    "requester",
    "department_head",
    "accountant",
    "finance_officer",
    "vice_principal",
    "principal",
    "party_secretary",
    "cashier",
]


ApprovalStepAction = Literal["submitted", "approved", "rejected", "returned", "paid"]


class ApprovalStep(TypedDict):
    """审批环节 / One step of an approval workflow, in order."""

    step: int
    role: ApprovalStepRole
    actor_staff_id: StaffId
    action: ApprovalStepAction
    acted_at: DatetimeCst
    comment: NotRequired[str]


PayeePayeeType = Literal[
    "supplier",
    "school",
    "staff",
    "student",
    "parent",
    "government",
    "other_organization",
    "other_person",
]


class Payee(TypedDict):
    """收款方 / Who receives a payment: an organisation (org_id and org_name) or a person
    (person_name).
    """

    payee_type: PayeePayeeType
    org_id: NotRequired[OrgId]
    org_name: NotRequired[str]
    person_name: NotRequired[PersonName]
    account_no: BankAccount


AlertsAlertV1Severity = Literal["red", "orange", "yellow"]


AlertsAlertV1RiskArea = Literal["canteen", "procurement", "enrollment", "finance"]


AlertsAlertV1SubjectKind = Literal[
    "vendor",
    "student",
    "staff",
    "contract",
    "tender",
    "school",
    "class",
    "invoice",
    "item",
    "account",
]


class AlertsAlertV1Subject(TypedDict):
    kind: AlertsAlertV1SubjectKind
    id: str


AlertsAlertV1Comparison = Literal[">", ">=", "<", "<=", "==", "!="]


class AlertsAlertV1Window(TypedDict):
    start: DatetimeCst
    end: DatetimeCst


class AlertsAlertV1(TypedDict):
    """预警 / Alert

    An alert raised by a detector rule. Its id derives from rule, version, subject and window,
    so a replay never creates a second alert.
    """

    alert_id: Identifier
    rule_id: str
    rule_version: str
    title_zh: str
    title_en: str
    severity: AlertsAlertV1Severity
    risk_area: AlertsAlertV1RiskArea
    school_id: SchoolId | None
    district_id: DistrictId | None
    subject: AlertsAlertV1Subject
    measured_value: DecimalString
    threshold: DecimalString
    comparison: AlertsAlertV1Comparison
    evidence_event_ids: list[str]
    citation: str
    window: AlertsAlertV1Window | None
    event_time: DatetimeCst
    detected_at: DatetimeCst
    rules_config_hash: str
    details: dict[str, Any]


CanteenInboundInspectionV1InspectorsItemRole = Literal[
    "canteen_manager",
    "school_leader",
    "food_safety_officer",
    "storekeeper",
    "teacher",
    "parent_representative",
    "other",
]


class CanteenInboundInspectionV1InspectorsItem(TypedDict):
    staff_id: StaffId
    name: NotRequired[PersonName]
    role: CanteenInboundInspectionV1InspectorsItemRole


class CanteenInboundInspectionV1LinesItem(TypedDict):
    item_code: Identifier
    item_name: str
    category: FoodCategory
    unit: Unit
    quantity_delivered: Quantity
    quantity_accepted: Quantity
    unit_price_fen: MoneyFen
    amount_fen: MoneyFen
    best_before: NotRequired[Date]


CanteenInboundInspectionV1Result = Literal["accepted", "partially_accepted", "rejected"]


class CanteenInboundInspectionV1(TypedDict):
    """入库验收 / Inbound inspection

    Acceptance check of a food delivery (入库验收). Bulk deliveries (大宗食材) need at least two
    inspectors and not the purchaser alone (rule C6).
    """

    inspection_id: Identifier
    order_id: Identifier | None
    supplier: Organization
    supplier_licence_no: NotRequired[str]
    delivered_at: DatetimeCst
    inspected_at: DatetimeCst
    is_bulk: bool
    purchaser: StaffRef
    inspectors: list[CanteenInboundInspectionV1InspectorsItem]
    warehouse_id: Identifier
    lines: list[CanteenInboundInspectionV1LinesItem]
    result: CanteenInboundInspectionV1Result
    total_amount_fen: MoneyFen


CanteenMealFeePaymentV1Channel = Literal["bank_transfer", "wechat", "alipay", "pos", "cash"]


CanteenMealFeePaymentV1ReceivingAccountType = Literal[
    "school_public_account",
    "canteen_public_account",
    "personal_account",
]


class CanteenMealFeePaymentV1(TypedDict):
    """伙食费缴纳 / Meal-fee payment

    A family's payment of meal fees (伙食费). Fees must go to the school's own account, never to an
    individual (rule C5).
    """

    payment_id: Identifier
    paid_at: DatetimeCst
    term: Term
    student: StudentRef
    amount_fen: MoneyFen
    meal_days: int
    channel: CanteenMealFeePaymentV1Channel
    receiving_account_type: CanteenMealFeePaymentV1ReceivingAccountType
    collector: NotRequired[StaffRef]


CanteenMealServiceV1AccompanyingLeadersItemRole = Literal[
    "principal",
    "party_secretary",
    "vice_principal",
    "middle_manager",
    "class_teacher",
    "other",
]


class CanteenMealServiceV1AccompanyingLeadersItem(TypedDict):
    staff_id: StaffId
    name: NotRequired[PersonName]
    role: CanteenMealServiceV1AccompanyingLeadersItemRole
    recorded_at: DatetimeCst
    feedback: NotRequired[str]


class CanteenMealServiceV1(TypedDict):
    """供餐与陪餐 / Meal service

    One meal served in the canteen, with the number of meals and the school leaders who ate with
    the students (陪餐, rule C7).
    """

    service_id: Identifier
    service_date: Date
    meal: Meal
    served_at: DatetimeCst
    student_meals: int
    subsidized_meals: int
    staff_meals: int
    menu: list[str]
    accompanying_leaders: list[CanteenMealServiceV1AccompanyingLeadersItem]


CanteenOutboundV1Purpose = Literal[
    "meal_service",
    "staff_meal",
    "hospitality",
    "spoilage_disposal",
    "return_to_supplier",
    "other",
]


class CanteenOutboundV1LinesItem(TypedDict):
    item_code: Identifier
    item_name: str
    category: FoodCategory
    unit: Unit
    quantity: Quantity


class CanteenOutboundV1(TypedDict):
    """出库 / Outbound (consumption)

    Food issued from the storeroom to the kitchen or elsewhere (出库).
    """

    outbound_id: Identifier
    issued_at: DatetimeCst
    service_date: Date
    meal: Meal | None
    purpose: CanteenOutboundV1Purpose
    warehouse_id: Identifier
    issued_by: StaffRef
    received_by: StaffRef
    lines: list[CanteenOutboundV1LinesItem]


CanteenPurchaseOrderV1FundSource = Literal[
    "meal_fee",
    "nutrition_subsidy",
    "canteen_income",
    "operating_fund",
]


class CanteenPurchaseOrderV1LinesItem(TypedDict):
    item_code: Identifier
    item_name: str
    category: FoodCategory
    unit: Unit
    line_no: int
    quantity: Quantity
    unit_price_fen: MoneyFen
    amount_fen: MoneyFen


class CanteenPurchaseOrderV1(TypedDict):
    """食材采购订单 / Food purchase order

    A canteen's order for food from a supplier (采购订单). Unit prices in fen per unit; used for
    peer price comparison and inventory.
    """

    order_id: Identifier
    ordered_at: DatetimeCst
    expected_delivery_date: Date
    supplier: Organization
    purchaser: StaffRef
    fund_source: CanteenPurchaseOrderV1FundSource
    contract_id: NotRequired[Identifier]
    lines: list[CanteenPurchaseOrderV1LinesItem]
    total_amount_fen: MoneyFen


class CanteenStockCountV1LinesItem(TypedDict):
    item_code: Identifier
    item_name: str
    category: FoodCategory
    unit: Unit
    opening_quantity: Quantity
    inbound_quantity: Quantity
    outbound_quantity: Quantity
    book_quantity: Quantity
    counted_quantity: Quantity


class CanteenStockCountV1(TypedDict):
    """库存盘点 / Daily stock count

    End-of-day count of the storeroom (日盘点). Book quantity = opening + inbound − outbound;
    counted quantity is what was found (rule C9).
    """

    count_id: Identifier
    count_date: Date
    counted_at: DatetimeCst
    warehouse_id: Identifier
    counted_by: list[StaffRef]
    lines: list[CanteenStockCountV1LinesItem]


class CanteenSubsidyClaimV1(TypedDict):
    """营养改善计划补助申领 / Nutrition-subsidy claim

    A school's claim for the rural compulsory-education nutrition-plan meal subsidy (营养改善计划膳食补助)
    for a period: beneficiaries × meal days × standard (rule C1).
    """

    claim_id: Identifier
    claimed_at: DatetimeCst
    term: Term
    period_start: Date
    period_end: Date
    beneficiary_count: int
    meal_days: int
    standard_fen_per_day: MoneyFen
    local_supplement_fen_per_day: MoneyFen
    claimed_amount_fen: MoneyFen
    beneficiaries: NotRequired[list[StudentId]]


CanteenSubsidySpendingV1FundSource = Literal[
    "nutrition_subsidy_central",
    "nutrition_subsidy_local",
    "meal_fee",
    "canteen_income",
    "operating_fund",
]


CanteenSubsidySpendingV1ExpenseCategory = Literal[
    "food",
    "cash_to_students",
    "cash_to_parents",
    "staff_meals",
    "labour",
    "transport",
    "publicity",
    "utilities",
    "equipment",
    "school_operating_costs",
    "bonuses",
    "hospitality",
    "other",
]


class CanteenSubsidySpendingV1(TypedDict):
    """食堂经费支出 / Canteen and subsidy spending

    A payment out of canteen funds (伙食费, nutrition subsidy, canteen income). Subsidy money may
    only buy food (rule C2); expenses per term feed the surplus ratio (rule C3).
    """

    spending_id: Identifier
    paid_at: DatetimeCst
    term: Term
    fund_source: CanteenSubsidySpendingV1FundSource
    expense_category: CanteenSubsidySpendingV1ExpenseCategory
    payee: Payee
    amount_fen: MoneyFen
    purpose: str
    order_id: NotRequired[Identifier]
    voucher_id: NotRequired[Identifier]


class EnrollmentAdmissionV1Applicant(TypedDict):
    id_number: IdNumber
    name: PersonName
    student_id: NotRequired[StudentId]


EnrollmentAdmissionV1AdmissionBasis = Literal[
    "catchment",
    "policy_preference",
    "lottery",
    "transfer_in",
    "entrance_exam",
    "competition_certificate",
    "training_certificate",
    "sponsorship",
    "other",
]


class EnrollmentAdmissionV1(TypedDict):
    """招生录取 / Admission

    An applicant admitted to the school (招生录取), with the basis of admission and the catchment
    check (rules E4, E5).
    """

    admission_id: Identifier
    admitted_at: DatetimeCst
    school_year: Year
    grade: Grade
    applicant: EnrollmentAdmissionV1Applicant
    admission_basis: EnrollmentAdmissionV1AdmissionBasis
    catchment_zone_id: Identifier
    address_zone_id: Identifier
    plan_id: Identifier


class EnrollmentAdmissionPlanV1(TypedDict):
    """招生计划 / Admission plan

    The approved admission quota of a school for one grade and year (rule E5).
    """

    plan_id: Identifier
    school_year: Year
    grade: Grade
    approved_quota: int
    approved_classes: int
    approved_by: str
    approved_at: DatetimeCst


EnrollmentAttendanceV1Kind = Literal["class_attendance", "canteen_swipe", "dormitory_checkin"]


EnrollmentAttendanceV1AbsentItemReason = Literal["sick_leave", "personal_leave", "unexcused", "unknown"]


class EnrollmentAttendanceV1AbsentItem(TypedDict):
    student_id: StudentId
    reason: EnrollmentAttendanceV1AbsentItemReason


class EnrollmentAttendanceV1(TypedDict):
    """考勤与活动 / Attendance and activity

    Who was present for one class on one day (考勤), or who swiped a canteen or dormitory card;
    absence of any activity for many school days signals a phantom registration (rule E2).
    """

    sheet_id: Identifier
    date: Date
    recorded_at: DatetimeCst
    kind: EnrollmentAttendanceV1Kind
    class_id: ClassId | None
    meal: Meal | None
    present: list[StudentId]
    absent: list[EnrollmentAttendanceV1AbsentItem]


EnrollmentRegistrationV1StudentGender = Literal["male", "female"]


class EnrollmentRegistrationV1Student(TypedDict):
    student_id: StudentId
    id_number: IdNumber
    name: PersonName
    gender: EnrollmentRegistrationV1StudentGender


EnrollmentRegistrationV1HukouType = Literal["rural", "urban"]


EnrollmentRegistrationV1GuardianRelation = Literal["father", "mother", "grandparent", "other"]


class EnrollmentRegistrationV1Guardian(TypedDict):
    name: PersonName
    phone: Phone
    relation: EnrollmentRegistrationV1GuardianRelation


class EnrollmentRegistrationV1(TypedDict):
    """学籍注册 / Student registration

    A student's registration (学籍) at the school. One person has one student number (rule E1).
    """

    registration_id: Identifier
    registered_at: DatetimeCst
    student: EnrollmentRegistrationV1Student
    entry_date: Date
    grade: Grade
    class_id: ClassId
    hukou_type: EnrollmentRegistrationV1HukouType
    is_boarding: bool
    nutrition_plan_beneficiary: bool
    guardian: NotRequired[EnrollmentRegistrationV1Guardian]


class EnrollmentRosterSnapshotV1ClassesItem(TypedDict):
    class_id: ClassId
    class_name: str
    grade: Grade
    student_count: int
    head_teacher_staff_id: StaffId | None


class EnrollmentRosterSnapshotV1(TypedDict):
    """班级花名册快照 / Class roster snapshot

    The school's classes and their head counts on a date (班额, rule E3).
    """

    snapshot_id: Identifier
    snapshot_date: Date
    taken_at: DatetimeCst
    term: Term
    classes: list[EnrollmentRosterSnapshotV1ClassesItem]
    total_students: int


EnrollmentSchoolProfileV1SchoolType = Literal["primary", "junior", "high", "nine_year"]


EnrollmentSchoolProfileV1Location = Literal["urban", "rural"]


EnrollmentSchoolProfileV1NutritionPlan = Literal["national", "local", "none"]


EnrollmentSchoolProfileV1CanteenOperatingMode = Literal["self_run", "contracted", "catered", "none"]


EnrollmentSchoolProfileV1LeadersItemRole = Literal[
    "principal",
    "party_secretary",
    "vice_principal",
    "finance_officer",
    "canteen_manager",
]


class EnrollmentSchoolProfileV1LeadersItem(TypedDict):
    staff_id: StaffId
    name: NotRequired[PersonName]
    role: EnrollmentSchoolProfileV1LeadersItemRole


class EnrollmentSchoolProfileV1(TypedDict):
    """学校档案 / School profile

    Reference data about a school that rules join on: type, urban or rural, nutrition-plan
    coverage, district and leaders.
    """

    school_id: SchoolId
    school_name: str
    district_id: DistrictId
    district_name: str
    school_type: EnrollmentSchoolProfileV1SchoolType
    location: EnrollmentSchoolProfileV1Location
    nutrition_plan: EnrollmentSchoolProfileV1NutritionPlan
    canteen_operating_mode: EnrollmentSchoolProfileV1CanteenOperatingMode
    catchment_zone_id: Identifier
    leaders: list[EnrollmentSchoolProfileV1LeadersItem]
    effective_from: Date


EnrollmentTransferV1Reason = Literal[
    "family_relocation",
    "household_registration",
    "school_reorganisation",
    "other",
]


class EnrollmentTransferV1(TypedDict):
    """转学 / Transfer

    A student moves from one school to another (转学). Sent by either school.
    """

    transfer_id: Identifier
    student: StudentRef
    from_school_id: SchoolId
    to_school_id: SchoolId
    to_class_id: ClassId | None
    effective_date: Date
    approved_at: DatetimeCst
    reason: EnrollmentTransferV1Reason


EnrollmentWithdrawalV1Reason = Literal[
    "graduated",
    "suspended",
    "dropped_out",
    "deceased",
    "emigrated",
    "other",
]


class EnrollmentWithdrawalV1(TypedDict):
    """离校 / Withdrawal

    A student leaves the school's roll: graduation, suspension, dropping out or death
    (毕业/休学/辍学/死亡).
    """

    withdrawal_id: Identifier
    student: StudentRef
    class_id: ClassId
    effective_date: Date
    reason: EnrollmentWithdrawalV1Reason


FinanceAidDisbursementV1AidCategory = Literal[
    "boarding_living_allowance",
    "national_grant",
    "tuition_waiver",
    "nutrition_supplement",
    "other",
]


class FinanceAidDisbursementV1(TypedDict):
    """学生资助发放 / Student aid disbursement

    Aid paid to a student (学生资助): category, boarding flag, amount and account (rule F6).
    """

    disbursement_id: Identifier
    paid_at: DatetimeCst
    term: Term
    student: StudentRef
    aid_category: FinanceAidDisbursementV1AidCategory
    is_boarding: bool
    amount_fen: MoneyFen
    recipient_account_no: BankAccount
    account_holder_name: PersonName
    batch_id: Identifier


FinanceCollectiveDecisionV1MeetingType = Literal[
    "party_committee",
    "principal_office",
    "staff_congress",
    "canteen_committee",
    "other",
]


FinanceCollectiveDecisionV1DecisionsItemCategory = Literal[
    "major_decision",
    "key_appointment",
    "major_project",
    "large_fund_use",
]


FinanceCollectiveDecisionV1DecisionsItemOutcome = Literal["approved", "rejected", "deferred"]


class FinanceCollectiveDecisionV1DecisionsItem(TypedDict):
    decision_id: Identifier
    category: FinanceCollectiveDecisionV1DecisionsItemCategory
    subject: str
    amount_fen: MoneyFen | None
    contract_id: Identifier | None
    outcome: FinanceCollectiveDecisionV1DecisionsItemOutcome


class FinanceCollectiveDecisionV1(TypedDict):
    """三重一大集体决策 / Collective decision (三重一大)

    Minutes of a party-committee or principal's-office meeting deciding 三重一大 matters (major
    decisions, appointments, projects, large spending); payments link here by meeting_id
    (rule F11).
    """

    meeting_id: Identifier
    meeting_type: FinanceCollectiveDecisionV1MeetingType
    held_at: DatetimeCst
    minutes_no: str
    chaired_by: StaffRef
    attendees: list[StaffRef]
    quorum_met: bool
    decisions: list[FinanceCollectiveDecisionV1DecisionsItem]


FinanceFeeChargeV1FeeCategory = Literal[
    "tuition",
    "miscellaneous",
    "accommodation",
    "service",
    "agency_collection",
    "insurance",
    "teaching_materials",
    "uniform",
    "meal",
    "other",
]


FinanceFeeChargeV1CollectedBy = Literal["school", "third_party"]


class FinanceFeeChargeV1(TypedDict):
    """收费 / Fee charge

    A fee charged to a student (收费): item, approved standard and amount (rules F1, F2, F4).
    """

    charge_id: Identifier
    charged_at: DatetimeCst
    term: Term
    student: StudentRef
    grade: Grade
    fee_item_code: Identifier
    fee_item_name: str
    fee_category: FinanceFeeChargeV1FeeCategory
    standard_fen: MoneyFen | None
    amount_fen: MoneyFen
    approval_document: str | None
    collected_by: FinanceFeeChargeV1CollectedBy
    voluntary: bool


class FinanceHospitalityV1Letter(TypedDict):
    letter_id: str
    issuing_unit: str
    received_on: Date


class FinanceHospitalityV1GuestsItem(TypedDict):
    name: PersonName
    unit: str
    position: NotRequired[str]


class FinanceHospitalityV1(TypedDict):
    """公务接待 / Official hospitality

    An official reception (公务接待) with its letter (公函), guests and companions (rule F8).
    """

    hospitality_id: Identifier
    reception_date: Date
    letter: FinanceHospitalityV1Letter | None
    guests: list[FinanceHospitalityV1GuestsItem]
    companions: list[StaffRef]
    meals: int
    amount_fen: MoneyFen
    venue: str
    approved_by: StaffRef
    voucher_id: Identifier | None


FinanceInvoiceV1InvoiceType = Literal[
    "vat_special",
    "vat_ordinary",
    "digital_special",
    "digital_ordinary",
    "non_tax_receipt",
    "other",
]


FinanceInvoiceV1Status = Literal["valid", "voided", "red_reversed"]


class FinanceInvoiceV1ItemsItem(TypedDict):
    name: str
    amount_fen: MoneyFen


class FinanceInvoiceV1(TypedDict):
    """发票 / Invoice

    An invoice received by the school (发票). Code + number identify it; fully-digital invoices
    have a 20-digit number and no code (rule F7).
    """

    invoice_id: Identifier
    invoice_type: FinanceInvoiceV1InvoiceType
    invoice_code: str | None
    invoice_number: str
    issued_on: Date
    received_at: DatetimeCst
    seller: Organization
    buyer: Organization
    amount_fen: MoneyFen
    tax_fen: MoneyFen
    total_fen: MoneyFen
    status: FinanceInvoiceV1Status
    items: list[FinanceInvoiceV1ItemsItem]


FinancePaymentVoucherV1FundSource = Literal[
    "fiscal_appropriation",
    "special_transfer",
    "operating_fund",
    "project_fund",
    "canteen_fund",
    "school_own_income",
    "other",
]


class FinancePaymentVoucherV1(TypedDict):
    """付款凭证 / Payment voucher

    A payment made by the school (付款凭证) with its approval chain and timestamps; links to the
    contract and to the 三重一大 meeting that authorised it (rule F11).
    """

    voucher_id: Identifier
    voucher_no: str
    created_at: DatetimeCst
    paid_at: DatetimeCst
    amount_fen: MoneyFen
    fund_source: FinancePaymentVoucherV1FundSource
    expense_category: Identifier
    purpose: str
    payee: Payee
    requester: StaffRef
    approval_chain: list[ApprovalStep]
    contract_id: Identifier | None
    ocid: Ocid | None
    invoice_numbers: list[str]
    meeting_id: Identifier | None


FinancePayrollAllowanceV1LinesItemRole = Literal[
    "class_teacher",
    "deputy_class_teacher",
    "grade_leader",
    "subject_teacher",
    "boarding_supervisor",
    "other",
]


FinancePayrollAllowanceV1LinesItemAllowanceType = Literal[
    "class_teacher_allowance",
    "performance_pay",
    "boarding_duty",
    "post_allowance",
    "other",
]


class FinancePayrollAllowanceV1LinesItem(TypedDict):
    staff: StaffRef
    role: FinancePayrollAllowanceV1LinesItemRole
    allowance_type: FinancePayrollAllowanceV1LinesItemAllowanceType
    class_id: ClassId | None
    amount_fen: MoneyFen


class FinancePayrollAllowanceV1(TypedDict):
    """津贴发放 / Payroll allowances

    Allowances paid for one month (津补贴), one line per staff member and role, e.g. the class-
    teacher allowance (rule F10).
    """

    payroll_id: Identifier
    month: Month
    paid_at: DatetimeCst
    lines: list[FinancePayrollAllowanceV1LinesItem]


FinanceReimbursementV1FundSource = Literal["operating_fund", "project_fund", "canteen_fund", "other"]


class FinanceReimbursementV1InvoicesItem(TypedDict):
    invoice_code: str | None
    invoice_number: str
    seller_id: OrgId
    issued_on: Date
    total_fen: MoneyFen


class FinanceReimbursementV1(TypedDict):
    """报销 / Reimbursement

    A staff member's expense claim (报销) with its invoices and approval chain.
    """

    reimbursement_id: Identifier
    submitted_at: DatetimeCst
    claimant: StaffRef
    purpose: str
    expense_category: Identifier
    fund_source: FinanceReimbursementV1FundSource
    amount_fen: MoneyFen
    invoices: list[FinanceReimbursementV1InvoicesItem]
    approval_chain: list[ApprovalStep]
    hospitality_id: NotRequired[Identifier]
    voucher_id: NotRequired[Identifier]


ProcurementAcceptanceV1Result = Literal["passed", "partially_passed", "failed"]


class ProcurementAcceptanceV1(TypedDict):
    """履约验收 / Acceptance

    Acceptance of delivered goods, services or works (履约验收).
    """

    ocid: Ocid
    acceptance_id: Identifier
    contract_id: Identifier
    accepted_at: DatetimeCst
    result: ProcurementAcceptanceV1Result
    inspectors: list[StaffRef]
    accepted_value_fen: MoneyFen
    certificate_no: NotRequired[str]


ProcurementAmendmentV1Status = Literal["pending", "approved", "rejected"]


class ProcurementAmendmentV1(TypedDict):
    """合同变更 / Contract amendment

    A change to a signed contract (补充合同, OCDS contract amendment). Value increases are capped at
    10 % of the original (rule P4).
    """

    ocid: Ocid
    amendment_id: Identifier
    contract_id: Identifier
    amended_at: DatetimeCst
    status: ProcurementAmendmentV1Status
    original_value_fen: MoneyFen
    value_change_fen: SignedMoneyFen
    new_value_fen: MoneyFen
    rationale: str


ProcurementAwardV1Status = Literal["pending", "active", "cancelled", "unsuccessful"]


class ProcurementAwardV1(TypedDict):
    """中标 / Award

    An award decision and its notice (OCDS awards).
    """

    ocid: Ocid
    award_id: Identifier
    tender_id: Identifier
    status: ProcurementAwardV1Status
    decided_at: DatetimeCst
    notice_published_at: DatetimeCst | None
    suppliers: list[Organization]
    value: Money | None
    items: list[ProcurementItem]


ProcurementBidV1Status = Literal["invited", "pending", "valid", "disqualified", "withdrawn"]


class ProcurementBidV1Deposit(TypedDict):
    """投标保证金缴纳 / The bid deposit as paid."""

    amount_fen: MoneyFen
    payer_name: str
    payer_account_no: BankAccount
    paid_at: DatetimeCst


class ProcurementBidV1(TypedDict):
    """投标 / Bid

    One bid in a tender, or a change of its status (OCDS bids.details). Deposits' payer accounts
    and bid prices feed the bid-rigging signals (rule P10, Cardinal R028).
    """

    ocid: Ocid
    bid_id: Identifier
    tender_id: Identifier
    status: ProcurementBidV1Status
    submitted_at: DatetimeCst | None
    tenderers: list[Organization]
    value: Money | None
    deposit: NotRequired[ProcurementBidV1Deposit]
    disqualification_reason: NotRequired[str]
    document_author: NotRequired[str]
    document_machine_code: NotRequired[str]


ProcurementContractV1Status = Literal["pending", "active", "cancelled", "terminated"]


class ProcurementContractV1Period(TypedDict):
    start_date: Date
    end_date: Date


ProcurementContractV1MainProcurementCategory = Literal["goods", "services", "works"]


class ProcurementContractV1(TypedDict):
    """合同 / Contract

    A signed contract (OCDS contracts), with the budget line and category used by the splitting
    rule (P3) and the deadlines rule (P7).
    """

    ocid: Ocid
    contract_id: Identifier
    award_id: Identifier | None
    title: str
    status: ProcurementContractV1Status
    supplier: Organization
    value_fen: MoneyFen
    signed_at: DatetimeCst
    published_at: DatetimeCst | None
    period: ProcurementContractV1Period
    fiscal_year: Year
    budget_project_id: Identifier
    item_category: Classification
    main_procurement_category: ProcurementContractV1MainProcurementCategory
    procurement_method: ProcurementMethod
    procurement_method_details: ProcurementMethodDetails


ProcurementPaymentV1Kind = Literal["advance", "progress", "final", "retention_release"]


class ProcurementPaymentV1(TypedDict):
    """合同付款 / Contract payment

    A payment against a contract (OCDS implementation transaction). Payments may not exceed the
    contract value plus approved amendments (rule P12).
    """

    ocid: Ocid
    payment_id: Identifier
    contract_id: Identifier
    paid_at: DatetimeCst
    kind: ProcurementPaymentV1Kind
    amount_fen: MoneyFen
    payer: Organization
    payee: Organization
    payee_account_no: BankAccount
    acceptance_id: Identifier | None
    voucher_id: NotRequired[Identifier]


ProcurementPlanV1FundSource = Literal[
    "fiscal_appropriation",
    "special_transfer",
    "school_own_income",
    "other",
]


ProcurementPlanV1MainProcurementCategory = Literal["goods", "services", "works"]


class ProcurementPlanV1(TypedDict):
    """采购计划 / Procurement plan

    A budgeted purchase in the school's procurement plan (OCDS planning stage: budget line,
    method, estimate).
    """

    ocid: Ocid
    plan_id: Identifier
    planned_at: DatetimeCst
    fiscal_year: Year
    budget_project_id: Identifier
    budget_project_name: str
    fund_source: ProcurementPlanV1FundSource
    item_category: Classification
    main_procurement_category: ProcurementPlanV1MainProcurementCategory
    procurement_method: ProcurementMethod
    procurement_method_details: ProcurementMethodDetails
    estimated_value_fen: MoneyFen
    is_centralized: bool
    items: list[ProcurementItem]


ProcurementTenderV1Status = Literal[
    "planning",
    "planned",
    "active",
    "cancelled",
    "unsuccessful",
    "complete",
    "withdrawn",
]


ProcurementTenderV1MainProcurementCategory = Literal["goods", "services", "works"]


class ProcurementTenderV1TenderPeriod(TypedDict):
    """投标期 / OCDS tenderPeriod: from publication of the tender documents to the bid deadline."""

    start: DatetimeCst
    end: DatetimeCst


class ProcurementTenderV1(TypedDict):
    """招标公告 / Tender

    A tender notice or its update (OCDS tender): method, period, budget and, once bidding
    closed, the number of tenderers.
    """

    ocid: Ocid
    tender_id: Identifier
    title: str
    status: ProcurementTenderV1Status
    buyer: Organization
    procuring_entity: Organization
    fiscal_year: Year
    budget_project_id: Identifier
    item_category: Classification
    main_procurement_category: ProcurementTenderV1MainProcurementCategory
    procurement_method: ProcurementMethod
    procurement_method_details: ProcurementMethodDetails
    value_fen: MoneyFen
    bid_deposit_fen: MoneyFen
    published_at: DatetimeCst
    tender_period: ProcurementTenderV1TenderPeriod
    number_of_tenderers: int | None
    items: list[ProcurementItem]
    single_source_approval_id: NotRequired[Identifier]


EVENT_TYPES: tuple[str, ...] = (
    "cn.edu.qinglian.alerts.alert.v1",
    "cn.edu.qinglian.canteen.inbound_inspection.v1",
    "cn.edu.qinglian.canteen.meal_fee_payment.v1",
    "cn.edu.qinglian.canteen.meal_service.v1",
    "cn.edu.qinglian.canteen.outbound.v1",
    "cn.edu.qinglian.canteen.purchase_order.v1",
    "cn.edu.qinglian.canteen.stock_count.v1",
    "cn.edu.qinglian.canteen.subsidy_claim.v1",
    "cn.edu.qinglian.canteen.subsidy_spending.v1",
    "cn.edu.qinglian.enrollment.admission.v1",
    "cn.edu.qinglian.enrollment.admission_plan.v1",
    "cn.edu.qinglian.enrollment.attendance.v1",
    "cn.edu.qinglian.enrollment.registration.v1",
    "cn.edu.qinglian.enrollment.roster_snapshot.v1",
    "cn.edu.qinglian.enrollment.school_profile.v1",
    "cn.edu.qinglian.enrollment.transfer.v1",
    "cn.edu.qinglian.enrollment.withdrawal.v1",
    "cn.edu.qinglian.finance.aid_disbursement.v1",
    "cn.edu.qinglian.finance.collective_decision.v1",
    "cn.edu.qinglian.finance.fee_charge.v1",
    "cn.edu.qinglian.finance.hospitality.v1",
    "cn.edu.qinglian.finance.invoice.v1",
    "cn.edu.qinglian.finance.payment_voucher.v1",
    "cn.edu.qinglian.finance.payroll_allowance.v1",
    "cn.edu.qinglian.finance.reimbursement.v1",
    "cn.edu.qinglian.procurement.acceptance.v1",
    "cn.edu.qinglian.procurement.amendment.v1",
    "cn.edu.qinglian.procurement.award.v1",
    "cn.edu.qinglian.procurement.bid.v1",
    "cn.edu.qinglian.procurement.contract.v1",
    "cn.edu.qinglian.procurement.payment.v1",
    "cn.edu.qinglian.procurement.plan.v1",
    "cn.edu.qinglian.procurement.tender.v1",
)

DATA_TYPES: dict[str, type[Any]] = {
    "cn.edu.qinglian.alerts.alert.v1": AlertsAlertV1,
    "cn.edu.qinglian.canteen.inbound_inspection.v1": CanteenInboundInspectionV1,
    "cn.edu.qinglian.canteen.meal_fee_payment.v1": CanteenMealFeePaymentV1,
    "cn.edu.qinglian.canteen.meal_service.v1": CanteenMealServiceV1,
    "cn.edu.qinglian.canteen.outbound.v1": CanteenOutboundV1,
    "cn.edu.qinglian.canteen.purchase_order.v1": CanteenPurchaseOrderV1,
    "cn.edu.qinglian.canteen.stock_count.v1": CanteenStockCountV1,
    "cn.edu.qinglian.canteen.subsidy_claim.v1": CanteenSubsidyClaimV1,
    "cn.edu.qinglian.canteen.subsidy_spending.v1": CanteenSubsidySpendingV1,
    "cn.edu.qinglian.enrollment.admission.v1": EnrollmentAdmissionV1,
    "cn.edu.qinglian.enrollment.admission_plan.v1": EnrollmentAdmissionPlanV1,
    "cn.edu.qinglian.enrollment.attendance.v1": EnrollmentAttendanceV1,
    "cn.edu.qinglian.enrollment.registration.v1": EnrollmentRegistrationV1,
    "cn.edu.qinglian.enrollment.roster_snapshot.v1": EnrollmentRosterSnapshotV1,
    "cn.edu.qinglian.enrollment.school_profile.v1": EnrollmentSchoolProfileV1,
    "cn.edu.qinglian.enrollment.transfer.v1": EnrollmentTransferV1,
    "cn.edu.qinglian.enrollment.withdrawal.v1": EnrollmentWithdrawalV1,
    "cn.edu.qinglian.finance.aid_disbursement.v1": FinanceAidDisbursementV1,
    "cn.edu.qinglian.finance.collective_decision.v1": FinanceCollectiveDecisionV1,
    "cn.edu.qinglian.finance.fee_charge.v1": FinanceFeeChargeV1,
    "cn.edu.qinglian.finance.hospitality.v1": FinanceHospitalityV1,
    "cn.edu.qinglian.finance.invoice.v1": FinanceInvoiceV1,
    "cn.edu.qinglian.finance.payment_voucher.v1": FinancePaymentVoucherV1,
    "cn.edu.qinglian.finance.payroll_allowance.v1": FinancePayrollAllowanceV1,
    "cn.edu.qinglian.finance.reimbursement.v1": FinanceReimbursementV1,
    "cn.edu.qinglian.procurement.acceptance.v1": ProcurementAcceptanceV1,
    "cn.edu.qinglian.procurement.amendment.v1": ProcurementAmendmentV1,
    "cn.edu.qinglian.procurement.award.v1": ProcurementAwardV1,
    "cn.edu.qinglian.procurement.bid.v1": ProcurementBidV1,
    "cn.edu.qinglian.procurement.contract.v1": ProcurementContractV1,
    "cn.edu.qinglian.procurement.payment.v1": ProcurementPaymentV1,
    "cn.edu.qinglian.procurement.plan.v1": ProcurementPlanV1,
    "cn.edu.qinglian.procurement.tender.v1": ProcurementTenderV1,
}
