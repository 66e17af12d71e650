"""Example events for the contract tests, read from contracts/examples/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "contracts" / "examples"


def example(event_type: str) -> dict[str, Any]:
    """A fresh copy of the example event of ``event_type``, safe to modify."""
    return copy.deepcopy(
        json.loads((EXAMPLES_DIR / f"{event_type}.json").read_text(encoding="utf-8"))
    )


def example_files() -> list[Path]:
    return sorted(EXAMPLES_DIR.glob("*.json"))
