"""Every event type has a realistic example, and every example honours its contract."""

from __future__ import annotations

import json

import pytest

from contracts.registry import event_types, validate
from tests.unit.contracts.support import EXAMPLES_DIR, example, example_files

TYPES = [info.type for info in event_types()]


def test_every_type_has_exactly_one_example_named_after_it() -> None:
    assert sorted(path.stem for path in example_files()) == sorted(TYPES)


@pytest.mark.parametrize("event_type", TYPES)
def test_example_is_valid(event_type: str) -> None:
    event = example(event_type)
    assert event["type"] == event_type
    validate(event)


@pytest.mark.parametrize("event_type", TYPES)
def test_example_times_carry_the_shanghai_offset(event_type: str) -> None:
    event = example(event_type)
    assert event["time"].endswith("+08:00")


def test_examples_are_pretty_printed_utf8_so_reviewers_can_read_them() -> None:
    for path in example_files():
        text = path.read_text(encoding="utf-8")
        assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n", path.name


def test_examples_directory_holds_only_examples() -> None:
    assert {path.suffix for path in EXAMPLES_DIR.iterdir()} == {".json"}
