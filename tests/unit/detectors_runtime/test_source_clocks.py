"""The watermark follows the slowest source partition that still has unread records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.detectors.runtime.clocks import SourceClocks

T0 = datetime(2024, 9, 2, tzinfo=UTC)
A, B = ("raw.canteen", 0), ("raw.canteen", 1)


def at(clocks: SourceClocks, source: tuple[str, int], offset: int, hours: int) -> datetime | None:
    clocks.at(source, offset)
    return clocks.advance(T0 + timedelta(hours=hours))


def test_a_source_ahead_does_not_move_the_watermark_past_one_with_unread_records() -> None:
    clocks = SourceClocks()
    clocks.start_batch({A: 100, B: 100}, {})
    assert at(clocks, A, 0, 1) is None, "B has unread records and no event yet: hold"
    assert at(clocks, B, 0, 2) == T0 + timedelta(hours=1)
    assert at(clocks, A, 1, 48) == T0 + timedelta(hours=2)
    assert at(clocks, B, 1, 30) == T0 + timedelta(hours=30)


def test_a_source_read_to_its_end_stops_holding_the_watermark_back() -> None:
    clocks = SourceClocks()
    clocks.start_batch({A: 100, B: 2}, {})
    at(clocks, B, 0, 1)
    assert at(clocks, B, 1, 2) is None, "B is read to its end but A has not delivered yet"
    assert at(clocks, A, 0, 5) == T0 + timedelta(hours=5)
    assert at(clocks, A, 1, 9) == T0 + timedelta(hours=9)


def test_offsets_committed_by_an_earlier_owner_count_as_read() -> None:
    clocks = SourceClocks()
    clocks.start_batch({A: 100, B: 40}, {B: 40})
    assert at(clocks, A, 0, 3) == T0 + timedelta(hours=3)


def test_an_end_offset_once_known_holds_although_a_later_batch_reports_an_older_one() -> None:
    clocks = SourceClocks()
    clocks.start_batch({A: 100, B: 50}, {})
    at(clocks, B, 9, 1)
    clocks.start_batch({A: 100, B: 10}, {})  # a cached end, older than the one fetched before
    assert at(clocks, A, 0, 8) == T0 + timedelta(hours=1), "B still has records 10 to 49 to read"


def test_an_unknown_end_offset_holds_until_the_source_delivers() -> None:
    clocks = SourceClocks()
    clocks.start_batch({A: 10, B: None}, {})
    assert at(clocks, A, 9, 3) is None
    assert at(clocks, B, 0, 4) == T0 + timedelta(hours=4)
