"""The HTTP status that summarizes per-event results."""

from __future__ import annotations

import pytest

from services.ingest.domain.results import ItemResult, ItemStatus, Reason, response_status, summary

ACCEPTED = ItemResult(0, "a", ItemStatus.ACCEPTED, topic="qinglian.raw.finance")
DUPLICATE = ItemResult(1, "b", ItemStatus.DUPLICATE)
INVALID = ItemResult(
    2, "c", ItemStatus.REJECTED, (Reason("data.amount_fen", "type", "…"),), deadletter_id="d1"
)
FORBIDDEN = ItemResult(
    3, "d", ItemStatus.REJECTED, (Reason("schoolid", "source_school_not_allowed", "…"),)
)


@pytest.mark.parametrize(
    ("results", "status"),
    [
        ([ACCEPTED], 200),
        ([ACCEPTED, DUPLICATE], 200),
        ([DUPLICATE], 200),
        ([ACCEPTED, INVALID], 207),
        ([DUPLICATE, FORBIDDEN], 207),
        ([FORBIDDEN], 403),
        ([FORBIDDEN, FORBIDDEN], 403),
        ([INVALID], 422),
        ([INVALID, FORBIDDEN], 422),
    ],
)
def test_status(results: list[ItemResult], status: int) -> None:
    assert response_status(results) == status


def test_summary_counts_every_status() -> None:
    assert summary([ACCEPTED, DUPLICATE, INVALID, FORBIDDEN]) == {
        "accepted": 1,
        "duplicate": 1,
        "rejected": 2,
    }


def test_result_as_dict_shows_only_what_applies() -> None:
    assert ACCEPTED.as_dict() == {
        "index": 0,
        "id": "a",
        "status": "accepted",
        "topic": "qinglian.raw.finance",
    }
    assert INVALID.as_dict() == {
        "index": 2,
        "id": "c",
        "status": "rejected",
        "reasons": [{"path": "data.amount_fen", "rule": "type", "message": "…"}],
        "deadletter_id": "d1",
    }
