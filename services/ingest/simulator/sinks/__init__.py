"""Where the simulated district's events go: thin adapters behind one ``Sink`` protocol.

    FileSink     NDJSON per domain, ground_truth.jsonl and manifest.json in a folder
    PushSink     signed batches to the ingest push API (POST /v1/events)
    PacedSink    wraps another sink and releases events at wall-clock pace (live demos)
    TeeSink      several sinks at once (push the events, keep the ground truth in files)
    FileDropSink wraps another sink; the event types a file-drop connector reads become daily
                 exports in its drop folder, with the ground truth's evidence ids made the connector's

Sinks for the other pull connectors (staging database, REST source, OCDS) are still to come.
"""

from services.ingest.simulator.sinks.base import Sink, TeeSink, run

__all__ = ["Sink", "TeeSink", "run"]
