"""Pull connectors: Qinglian fetches events from school systems that do not push.

Four kinds, configured per source in a connectors file (``example-connectors.yaml``):

    staging_db   a staging database (前置库), pulled by an (updated_at, pk) watermark
    rest_api     a REST API, by cursor or page, rate-limited, retried with backoff
    file_drop    CSV/XLSX exports dropped in a folder, each processed once
    ocds         OCDS compiled releases (JSON lines) dropped in a folder

Every batch goes through the push API's ingest use case (validation,
pseudonymization, Kafka with acks=all, dead letters, dedup by event id); the
connector's checkpoint moves only after it returned. Delivery is at-least-once,
and event ids are derived from the source record, so a re-pull is answered
"duplicate" instead of being published twice.

Layout:

    domain/          converters, record mapping, OCDS mapping, pagination and
                     checkpoint arithmetic, the connectors file's data (specs)
    service_layer/   the pull use case (``drain``) and `pull status`, against ports
    sources/         the connectors: a base with setup/start/stop and one module per kind
    adapters/        connectors file loader, checkpoint table, Prometheus metrics
    writers/         the school systems' side, for the simulator and the tests
    bootstrap.py     builds the real adapters; cli.py is `qinglian ingest pull`

Errors are listed in ``services.ingest.connectors.errors``.
"""
