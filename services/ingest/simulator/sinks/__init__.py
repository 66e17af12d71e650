"""Where the simulated district's events go: thin adapters behind one ``Sink`` protocol.

    FileSink     NDJSON per domain, ground_truth.jsonl and manifest.json in a folder
    PushSink     signed batches to the ingest push API (POST /v1/events)
    PacedSink    wraps another sink and releases events at wall-clock pace (live demos)
    TeeSink      several sinks at once (push the events, keep the ground truth in files)

Pull-connector sinks (staging database, REST source, file drop) implement the same protocol.
"""

from services.ingest.simulator.sinks.base import Sink, TeeSink, run

__all__ = ["Sink", "TeeSink", "run"]
