"""Writing a run to a folder: <domain>.ndjson per domain, ground_truth.jsonl and manifest.json.

Lines are written in emission order with keys in the contracts' order, so the
same scenario always gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

import orjson

from services.ingest.simulator.emissions import GroundTruth, SimulatedEvent
from services.ingest.simulator.errors import SinkError
from services.ingest.simulator.manifest import Manifest

DOMAINS = ("canteen", "procurement", "enrollment", "finance")
GROUND_TRUTH_FILE = "ground_truth.jsonl"
MANIFEST_FILE = "manifest.json"


class FileSink:
    def __init__(self, folder: Path, *, events: bool = True) -> None:
        """``events=False`` keeps only the ground truth and manifest (when another sink sends the events)."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._files: dict[str, IO[bytes]] = (
                {domain: (folder / f"{domain}.ndjson").open("wb") for domain in DOMAINS}
                if events
                else {}
            )
            self._truth = (folder / GROUND_TRUTH_FILE).open("wb")
        except OSError as exc:
            raise SinkError(f"无法写入输出目录 / cannot write to {folder}: {exc.strerror}") from exc
        self._folder = folder

    def event(self, simulated: SimulatedEvent) -> None:
        if self._files:
            self._files[simulated.domain].write(orjson.dumps(simulated.event) + b"\n")

    def anomaly(self, truth: GroundTruth) -> None:
        self._truth.write(orjson.dumps(truth.to_json()) + b"\n")

    def close(self, manifest: Manifest) -> None:
        for handle in (*self._files.values(), self._truth):
            handle.close()
        (self._folder / MANIFEST_FILE).write_bytes(
            orjson.dumps(manifest.to_json(), option=orjson.OPT_INDENT_2) + b"\n"
        )
