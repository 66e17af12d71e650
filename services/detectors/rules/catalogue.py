"""Every rule Qinglian ships, in catalogue order (canteen, procurement, OCP, enrollment, finance)."""

from __future__ import annotations

from services.detectors.core.rule import Rule
from services.detectors.rules.canteen import (
    c1_subsidy_claims,
    c2_subsidy_misuse,
    c3_canteen_surplus,
    c6_bulk_inspection,
    c7_accompanying_leader,
    c9_inventory_balance,
    c_meals_above_enrolled,
    c_price_above_district_median,
)
from services.detectors.rules.enrollment import (
    e1_duplicate_registration,
    e2_phantom_enrollment,
    e3_class_size,
    e5_admissions_above_plan,
)
from services.detectors.rules.finance import (
    f1_unapproved_fees,
    f2_forbidden_fees,
    f4_insurance_premiums,
    f6_student_aid,
    f7_duplicate_invoices,
    f8_hospitality,
    f10_class_teacher_allowance,
    f11_collective_decision,
    f_approval_anomalies,
    f_benford_payments,
)
from services.detectors.rules.ocds import (
    r003_short_submission_period,
    r018_single_bid,
    r024_price_close_to_winning_bid,
    r025_excessive_unsuccessful_bids,
    r028_identical_bid_prices,
    r030_late_bid_won,
    r035_all_except_winning_bid_disqualified,
    r036_lowest_bid_disqualified,
    r038_excessive_disqualified_bids,
    r048_heterogeneous_supplier,
    r058_heavily_discounted_bid,
)
from services.detectors.rules.procurement import (
    p3_near_threshold_cluster,
    p3_split_purchases,
    p4_amendments_over_ten_percent,
    p6_too_few_bidders,
    p7_deadlines,
    p10_bid_rigging_signals,
    p12_payments_over_contract,
)

OCDS_MODULES = (
    r003_short_submission_period,
    r018_single_bid,
    r024_price_close_to_winning_bid,
    r025_excessive_unsuccessful_bids,
    r028_identical_bid_prices,
    r030_late_bid_won,
    r035_all_except_winning_bid_disqualified,
    r036_lowest_bid_disqualified,
    r038_excessive_disqualified_bids,
    r048_heterogeneous_supplier,
    r058_heavily_discounted_bid,
)
"""OCP Cardinal's indicators, also run in batch by services/detectors/ocds_batch.py."""

_MODULES = (
    c1_subsidy_claims,
    c2_subsidy_misuse,
    c3_canteen_surplus,
    c6_bulk_inspection,
    c7_accompanying_leader,
    c9_inventory_balance,
    c_meals_above_enrolled,
    c_price_above_district_median,
    p3_split_purchases,
    p3_near_threshold_cluster,
    p4_amendments_over_ten_percent,
    p6_too_few_bidders,
    p7_deadlines,
    p10_bid_rigging_signals,
    p12_payments_over_contract,
    *OCDS_MODULES,
    e1_duplicate_registration,
    e2_phantom_enrollment,
    e3_class_size,
    e5_admissions_above_plan,
    f1_unapproved_fees,
    f2_forbidden_fees,
    f4_insurance_premiums,
    f6_student_aid,
    f7_duplicate_invoices,
    f8_hospitality,
    f10_class_teacher_allowance,
    f11_collective_decision,
    f_approval_anomalies,
    f_benford_payments,
)


def all_rules() -> tuple[Rule, ...]:
    return tuple(module.RULE for module in _MODULES)
