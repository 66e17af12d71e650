"""Errors of the ingest service.

    QinglianError
    ├── ConfigurationError
    │   └── SourcesFileError        the sources file is missing, unreadable or inconsistent
    ├── InfrastructureError
    │   └── StorageUnavailable      Kafka (or the dedup database) did not store a write: answer 503
    └── IngestError                 a request or an operator command was refused
        ├── RequestRefused          the whole push request is refused (carries the HTTP status)
        │   ├── BodyTooLarge        413: too many bytes or too many events
        │   ├── UnparseableBody     400: not JSON / NDJSON, or empty
        │   └── AuthenticationFailed 401: unknown source, bad or no signature, stale timestamp
        ├── DeadLetterNotFound      `qinglian dlq show/redrive` with an unknown id
        ├── RedriveRefused          the fixed event is still invalid, or was already re-sent
        └── MigrationError          the ingest tables are missing, behind or unlike the migrations

Per-event problems are not exceptions: they are results (``rejected`` with reasons)
and dead-letter records.
"""

from __future__ import annotations

from qinglian.errors import ConfigurationError, InfrastructureError, QinglianError


class SourcesFileError(ConfigurationError):
    pass


class StorageUnavailable(InfrastructureError):
    pass


class IngestError(QinglianError):
    pass


class RequestRefused(IngestError):
    status_code = 400
    code = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BodyTooLarge(RequestRefused):
    status_code = 413
    code = "body_too_large"


class UnparseableBody(RequestRefused):
    status_code = 400
    code = "unparseable_body"


class AuthenticationFailed(RequestRefused):
    status_code = 401
    code = "authentication_failed"


class DeadLetterNotFound(IngestError):
    pass


class RedriveRefused(IngestError):
    pass


class MigrationError(IngestError):
    pass
