"""The contracts' documentation states what the code does."""

from __future__ import annotations

from pathlib import Path

from contracts.registry import event_types
from qinglian.broker import CLOUDEVENTS_CONTENT_TYPE

CONTRACTS_DIR = Path(__file__).resolve().parents[3] / "contracts"


def test_readme_documents_the_kafka_binding_the_broker_uses() -> None:
    readme = (CONTRACTS_DIR / "README.md").read_text(encoding="utf-8")
    assert CLOUDEVENTS_CONTENT_TYPE.decode() in readme
    assert "structured content mode" in readme


def test_readme_lists_every_event_name() -> None:
    readme = (CONTRACTS_DIR / "README.md").read_text(encoding="utf-8")
    assert [info.name for info in event_types() if info.name not in readme] == []
