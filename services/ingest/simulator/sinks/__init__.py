"""Where the simulated district's events go: thin adapters behind one ``Sink`` protocol.

FileSink     NDJSON per domain, ground_truth.jsonl and manifest.json in a folder
PushSink     signed batches to the ingest push API (POST /v1/events)
PacedSink    wraps another sink and releases events at wall-clock pace (live demos)
TeeSink      several sinks at once (push the events, keep the ground truth in files)
PulledSink   wraps another sink; the event types a connectors file's connectors read go to
             their sources, with the ground truth's evidence ids made the connectors':
             drop folder exports (drop), 前置库 rows (staging), REST records (rest),
             OCDS releases (ocds)
"""

from services.ingest.simulator.sinks.base import Sink, TeeSink, run

__all__ = ["Sink", "TeeSink", "run"]
