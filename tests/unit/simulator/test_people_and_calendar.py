"""Identifiers look like the real ones and the school calendar follows the official holidays."""

from __future__ import annotations

import random
import re
from datetime import date

import pytest

from services.ingest.simulator.calendar import is_school_day, term_of
from services.ingest.simulator.organizations import PUBLIC_INSTITUTION, credit_code
from services.ingest.simulator.people import (
    check_character,
    cohort_id_number,
    is_male,
    mobile,
    resident_id,
)
from services.ingest.simulator.procurement.timing import Clock

PHONE = re.compile(r"^1[3-9][0-9]{9}$")
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")


class TestIdNumbers:
    def test_the_check_character_of_the_standard_example(self) -> None:
        """GB 11643's published example ends in X."""
        assert resident_id("110105", date(1949, 12, 31), 2) == "11010519491231002X"

    def test_every_generated_number_carries_a_valid_check_character(self) -> None:
        numbers = [
            cohort_id_number(school, position, 2015)
            for school in range(3)
            for position in range(500)
        ]
        assert all(number[17] == check_character(number[:17]) for number in numbers)

    def test_no_two_pupils_of_a_cohort_share_a_number(self) -> None:
        numbers = {
            cohort_id_number(school, position, 2016)
            for school in range(300)
            for position in range(1000)
        }
        assert len(numbers) == 300_000

    def test_the_sequence_digit_carries_the_sex(self) -> None:
        assert is_male(resident_id("500102", date(2015, 3, 1), 13))
        assert not is_male(resident_id("500102", date(2015, 3, 1), 14))

    def test_phone_numbers_are_mobile_numbers(self) -> None:
        rng = random.Random(7)
        assert all(PHONE.match(mobile(rng)) for _ in range(200))

    def test_credit_codes_match_the_contract_pattern(self) -> None:
        assert CREDIT_CODE.match(credit_code(PUBLIC_INSTITUTION, "500102", 12))


class TestCalendar:
    @pytest.mark.parametrize(
        ("day", "school"),
        [
            (date(2025, 9, 1), True),  # first day of the autumn term, a Monday
            (date(2025, 9, 27), False),  # Saturday
            (date(2025, 9, 28), True),  # Sunday made a working day for National Day (调休)
            (date(2025, 10, 1), False),  # National Day
            (date(2025, 10, 8), False),  # last day of the holiday
            (date(2025, 10, 11), True),  # Saturday made a working day
            (date(2025, 8, 15), False),  # summer holiday, a Friday
        ],
    )
    def test_school_days_follow_the_official_calendar(self, day: date, school: bool) -> None:
        assert is_school_day(day) is school

    def test_terms_carry_the_contract_labels(self) -> None:
        assert term_of(date(2025, 11, 3)).label == "2025-2026-1"  # type: ignore[union-attr]
        assert term_of(date(2026, 3, 2)).label == "2025-2026-2"  # type: ignore[union-attr]
        assert term_of(date(2026, 8, 1)) is None

    def test_working_days_skip_the_holiday(self) -> None:
        assert Clock(horizon=date(2025, 12, 31)).workdays_after(date(2025, 9, 30), 1) == date(
            2025, 10, 9
        )

    def test_past_the_scenario_every_day_counts(self) -> None:
        """Steps after the scenario are never sent, so the calendar is not asked about years it does not know."""
        assert Clock(horizon=date(2025, 9, 30)).workdays_after(date(2025, 9, 30), 3) == date(
            2025, 10, 3
        )
