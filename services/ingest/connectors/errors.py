"""Errors of the pull connectors.

    QinglianError
    ├── ConfigurationError
    │   └── ConnectorsFileError     the connectors file is missing, unreadable or inconsistent
    ├── InfrastructureError
    │   ├── SourceUnavailable       a source system did not answer, even after retries
    │   └── CheckpointUnavailable   the checkpoint table could not be read or written
    └── ConnectorError
        ├── SourceRefused           the source answered, but refused (4xx) or sent something unusable
        └── UnknownConnector        `--source` names no configured connector

Kafka not acknowledging a batch is ``services.ingest.errors.StorageUnavailable``,
raised by the shared ingest use case; the checkpoint then stays where it was.
A bad record is not an exception: it is dead-lettered by the ingest use case and
listed in the file's reason report.
"""

from __future__ import annotations

from qinglian.errors import ConfigurationError, InfrastructureError, QinglianError


class ConnectorsFileError(ConfigurationError):
    pass


class SourceUnavailable(InfrastructureError):
    pass


class CheckpointUnavailable(InfrastructureError):
    pass


class ConnectorError(QinglianError):
    pass


class SourceRefused(ConnectorError):
    pass


class UnknownConnector(ConnectorError):
    pass
