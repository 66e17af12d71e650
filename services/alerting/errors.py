"""Errors of the alerting service.

    QinglianError
    └── AlertingError                 base of this service's errors
        ├── InvalidAlert              an alert event cannot be decoded or violates the contract (→ dead-letter topic)
        ├── InvalidTransition         a workflow action is not allowed in the case's state, or lacks what it needs
        ├── InvalidSilence            a silence has no matchers, a bad regex or an empty time range
        ├── InvalidPolicy             the alerting policy file or the school leaders file is malformed
        ├── CalendarNotCovered        the working-day calendar does not know the year asked for
        ├── CaseNotFound              no case has the given id
        ├── SilenceNotFound           no silence has the given id
        ├── NotificationFailed        one delivery did not go through (kept on the outbox row, retried)
        ├── InvalidChannels           the notification channels file is malformed or names a missing secret
        ├── InvalidAccount            a user account's role and scope do not fit, or the name is taken
        ├── AuthenticationFailed      wrong user name or password, an unknown or revoked token, an expired session
        ├── AccessDenied              the user's role may not do this (a case out of scope is CaseNotFound instead)
        ├── ConcurrentUpdate          someone else changed the case at the same moment; reload and retry
        ├── InvalidAttachment         an uploaded file is empty or too large
        ├── InvalidFilter             an inbox filter names a severity, state or risk area that does not exist
        ├── InvalidBundle             an audit bundle cannot be written there, or read as a zip or directory
        ├── EvidenceUnavailable       the raw topics cannot be read for an audit bundle's evidence
        ├── DatabaseUnavailable       the case database cannot be reached after retrying
        └── MigrationError            the schema is behind the code, or models and migrations differ

Messages are zh-CN first, English second, and say what to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from qinglian.errors import QinglianError


class AlertingError(QinglianError):
    pass


class InvalidAlert(AlertingError):
    """``reasons`` are dead-letter reasons: ``{"path", "rule", "message"}`` each, as ingest writes them."""

    def __init__(self, message: str, reasons: Sequence[Mapping[str, str]] = ()) -> None:
        super().__init__(message)
        self.reasons = [dict(reason) for reason in reasons] or [
            {"path": "", "rule": "alert", "message": message}
        ]


class InvalidTransition(AlertingError):
    pass


class InvalidSilence(AlertingError):
    pass


class InvalidPolicy(AlertingError):
    pass


class CalendarNotCovered(AlertingError):
    pass


class CaseNotFound(AlertingError):
    pass


class SilenceNotFound(AlertingError):
    pass


class NotificationFailed(AlertingError):
    pass


class InvalidChannels(AlertingError):
    pass


class InvalidAccount(AlertingError):
    pass


class AuthenticationFailed(AlertingError):
    pass


class AccessDenied(AlertingError):
    pass


class ConcurrentUpdate(AlertingError):
    pass


class InvalidAttachment(AlertingError):
    pass


class InvalidFilter(AlertingError):
    pass


class InvalidBundle(AlertingError):
    pass


class EvidenceUnavailable(AlertingError):
    pass


class DatabaseUnavailable(AlertingError):
    pass


class MigrationError(AlertingError):
    pass
