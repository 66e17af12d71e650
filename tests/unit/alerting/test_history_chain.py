"""The hash chain of a case's history: any edit, reordering or truncation is detected."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta

import pytest

from services.alerting.domain.case import Case
from services.alerting.domain.deadlines import Deadlines
from services.alerting.domain.history import (
    GENESIS_HASH,
    ChainProblem,
    HistoryEntry,
    canonical_json,
    verify_chain,
)
from services.alerting.domain.workflow import Action
from services.alerting.testing import sample_alert

NOW = datetime.fromisoformat("2026-09-28T10:00:00+08:00")


@pytest.fixture
def case(deadlines: Deadlines) -> Case:
    case = Case.open("case-1", sample_alert(), now=NOW, deadlines=deadlines)
    case.add_evidence(sample_alert(), now=NOW + timedelta(hours=1), deadlines=deadlines)
    case.take_action(
        Action.ASSIGN,
        actor="lead",
        now=NOW + timedelta(hours=2),
        deadlines=deadlines,
        assignee="a1",
    )
    case.take_action(
        Action.INVESTIGATE, actor="a1", now=NOW + timedelta(hours=3), deadlines=deadlines
    )
    return case


def check(case: Case, entries: list[HistoryEntry]) -> tuple[ChainProblem | None, int | None]:
    status = verify_chain(entries, head_hash=case.chain_head, entry_count=case.history_count)
    return status.problem, status.seq


def test_an_untouched_history_is_intact(case: Case) -> None:
    entries = case.pending_entries
    assert [e.seq for e in entries] == [1, 2, 3, 4]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    status = verify_chain(entries, head_hash=case.chain_head, entry_count=4)
    assert status.intact and status.describe() == "完整 / intact"


@pytest.mark.parametrize(
    "change",
    [
        {"comment": "改过的意见"},
        {"actor": "someone-else"},
        {"at": NOW + timedelta(days=1)},
        {"details": {"assignee": "a2"}},
        {"to_state": None},
    ],
)
def test_editing_any_field_of_an_entry_is_detected(case: Case, change: dict[str, object]) -> None:
    entries = list(case.pending_entries)
    entries[2] = dataclasses.replace(entries[2], **change)
    assert check(case, entries) == (ChainProblem.EDITED, 3)


def test_swapping_two_entries_is_detected(case: Case) -> None:
    entries = list(case.pending_entries)
    entries[1], entries[2] = entries[2], entries[1]
    assert check(case, entries)[0] is ChainProblem.REORDERED


def test_renumbering_swapped_entries_is_still_detected(case: Case) -> None:
    zero, first, second, third = case.pending_entries
    entries = [zero, dataclasses.replace(second, seq=2), dataclasses.replace(first, seq=3), third]
    assert check(case, entries)[0] is ChainProblem.REORDERED


def test_removing_an_entry_in_the_middle_is_detected(case: Case) -> None:
    entries = [e for e in case.pending_entries if e.seq != 2]
    assert check(case, entries) == (ChainProblem.REORDERED, 3)


def test_removing_entries_at_the_end_is_detected_through_the_case_row(case: Case) -> None:
    assert check(case, case.pending_entries[:2]) == (ChainProblem.TRUNCATED, 2)


def test_an_entry_appended_outside_the_workflow_is_detected(case: Case) -> None:
    last = case.pending_entries[-1]
    forged = dataclasses.replace(last, seq=5, prev_hash=last.hash)
    forged = dataclasses.replace(forged, hash=forged.computed_hash())
    assert check(case, [*case.pending_entries, forged])[0] is ChainProblem.HEAD_MISMATCH


def test_canonical_json_ignores_key_order_and_keeps_chinese_readable() -> None:
    assert canonical_json({"b": 1, "a": "核查"}) == canonical_json({"a": "核查", "b": 1})
    assert canonical_json({"a": "核查"}) == '{"a":"核查"}'.encode()


def test_the_hash_does_not_depend_on_the_time_zone_the_time_is_written_in(case: Case) -> None:
    entry = case.pending_entries[0]
    in_utc = dataclasses.replace(entry, at=entry.at.astimezone(UTC))
    assert in_utc.at.utcoffset() != NOW.utcoffset()
    assert in_utc.computed_hash() == entry.hash
