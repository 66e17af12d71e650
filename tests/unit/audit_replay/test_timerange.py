"""The audited range: parsing the auditor's times and durations, and what replay reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.detectors.audit_replay.errors import ReplayRequestError
from services.detectors.audit_replay.timerange import AuditRange, parse_duration
from services.detectors.core.eventtime import CHINA_TZ, parse_moment
from services.detectors.errors import TimeTextError


@pytest.mark.parametrize(
    ("text", "end_of_day", "expected"),
    [
        pytest.param(
            "2026-09-01",
            False,
            datetime(2026, 9, 1, tzinfo=CHINA_TZ),
            id="date: midnight in Shanghai",
        ),
        pytest.param(
            "2026-09-30",
            True,
            datetime(2026, 10, 1, tzinfo=CHINA_TZ),
            id="--to date includes the day",
        ),
        pytest.param(
            "2026-09-01T08:30:00+08:00",
            True,
            datetime(2026, 9, 1, 0, 30, tzinfo=UTC),
            id="RFC 3339",
        ),
        pytest.param(
            "2026-09-01T00:30:00Z", False, datetime(2026, 9, 1, 0, 30, tzinfo=UTC), id="Z suffix"
        ),
        pytest.param(
            "2026-09-01T08:30",
            False,
            datetime(2026, 9, 1, 8, 30, tzinfo=CHINA_TZ),
            id="no offset: Shanghai",
        ),
    ],
)
def test_times_are_rfc3339_or_dates_in_shanghai(
    text: str, end_of_day: bool, expected: datetime
) -> None:
    assert parse_moment(text, option="--to", end_of_day=end_of_day) == expected


def test_a_bad_time_names_the_option_and_shows_an_example() -> None:
    with pytest.raises(TimeTextError, match=r"--from '1 Sept'.*e\.g\. 2026-09-01"):
        parse_moment("1 Sept", option="--from")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("90m", timedelta(minutes=90)),
     ("2w", timedelta(weeks=2)), ("7", timedelta(days=7)), ("0", timedelta(0))],
)  # fmt: skip
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text, option="--warmup") == expected


@pytest.mark.parametrize("text", ["-1d", "1.5d", "30 days", ""])
def test_a_bad_duration_is_refused(text: str) -> None:
    with pytest.raises(ReplayRequestError, match="--warmup"):
        parse_duration(text, option="--warmup")


class TestAuditRange:
    start = datetime(2026, 9, 1, tzinfo=CHINA_TZ)
    end = datetime(2026, 9, 11, tzinfo=CHINA_TZ)

    def test_reading_starts_a_warmup_early_and_runs_to_the_end_of_the_topics_by_default(
        self,
    ) -> None:
        audit = AuditRange(self.start, self.end, warmup=timedelta(days=30))
        assert audit.read_start == datetime(2026, 8, 2, tzinfo=CHINA_TZ)
        assert audit.read_end is None

    def test_grace_bounds_the_read_after_the_end(self) -> None:
        audit = AuditRange(self.start, self.end, warmup=timedelta(0), grace=timedelta(hours=2))
        assert audit.read_end == self.end + timedelta(hours=2)

    def test_the_range_is_half_open(self) -> None:
        audit = AuditRange(self.start, self.end, warmup=timedelta(0))
        assert audit.contains(self.start)
        assert not audit.contains(self.end)
        assert audit.contains(self.end - timedelta(microseconds=1))

    def test_an_empty_range_is_refused(self) -> None:
        with pytest.raises(ReplayRequestError, match="--to .* must be after --from"):
            AuditRange(self.end, self.start, warmup=timedelta(0))
