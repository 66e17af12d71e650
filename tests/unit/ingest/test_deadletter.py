"""Dead-letter records and the history `qinglian dlq` shows."""

from __future__ import annotations

from datetime import timedelta

from services.ingest.domain.deadletter import (
    DeadLetter,
    Stage,
    history,
    partition_key,
    redrive_record,
    rejection_record,
)
from services.ingest.domain.results import Reason
from tests.unit.ingest.support import NOW, broken, event

REASON = Reason("data.amount_fen", "type", "wrong type")


def rejection(deadletter_id: str = "dl-1", payload: object = None) -> dict[str, object]:
    return rejection_record(
        deadletter_id=deadletter_id,
        payload=broken() if payload is None else payload,
        source_id="fuling-finance",
        received_at=NOW,
        reasons=[REASON],
        stage=Stage.PUSH,
    )


def test_rejection_copies_the_event_identity() -> None:
    record = rejection()
    assert record["record"] == "qinglian.deadletter.v1"
    assert record["event_type"] == "cn.edu.qinglian.finance.payment_voucher.v1"
    assert record["school_id"] == "500102001"
    assert partition_key(record) == "dl-1"


def test_rejection_of_a_non_object_has_no_identity() -> None:
    record = rejection(payload=[1, 2])
    assert (record["event_id"], record["event_type"], record["school_id"]) == (None, None, None)


def test_history_pairs_rejections_with_their_redrives() -> None:
    first, second = rejection("dl-1"), rejection("dl-2")
    [letter_one, _] = history([first, second])
    fixed = event()
    redone = redrive_record(
        deadletter_id="dl-3",
        rejection=letter_one,
        event=fixed,
        topic="qinglian.raw.finance",
        at=NOW + timedelta(hours=1),
    )
    assert partition_key(redone) == "dl-1", "a redrive lands in the partition of its rejection"
    letters = history(
        [
            first,
            second,
            redone,
            {"something": "else"},
            {"record": "qinglian.deadletter.v1", "kind": "?"},
        ]
    )
    assert [(letter.deadletter_id, letter.redriven) for letter in letters] == [
        ("dl-1", True),
        ("dl-2", False),
    ]
    assert letters[0].redrives[0]["payload"] == fixed
    assert letters[0].reasons == (REASON,)
    assert isinstance(letters[0], DeadLetter) and letters[0].stage == "push"
