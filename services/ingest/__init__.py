"""Ingest service: where school systems hand events to Qinglian.

Layout (a pure core, thin adapters, one composition root):

    domain/          plain functions over plain data: source registry, request
                     signatures, body parsing, per-event admission, results,
                     dead-letter records, Kafka record encoding
    service_layer/   the push and redrive use cases, written against ports
    adapters/        Kafka publisher, dead-letter reader, SQL dedup store,
                     sources file, Prometheus metrics, the migrations of the
                     ingest tables (run by `qinglian db upgrade`)
    entrypoints/     the FastAPI app (`create_app`) and the CLI commands
    bootstrap.py     builds the real adapters from the settings

Errors are listed in ``services.ingest.errors``.
"""
