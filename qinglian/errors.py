"""Errors shared by every Qinglian service.

    QinglianError                 base: the CLI prints its message on one line and exits 2
    ├── ConfigurationError        a setting is unknown, malformed or inconsistent
    ├── InfrastructureError       a broker, database or port is not usable
    │   ├── BrokerUnavailable     Kafka cannot be reached
    │   └── PortInUse             a port the stack needs is taken by another process
    └── StackError                the local stack could not be started or stopped

Service-specific errors (contracts, ingest, detectors, alerting) derive from
QinglianError in their own packages.
"""


class QinglianError(Exception):
    """An error whose message tells the user what to do; shown without a traceback."""


class ConfigurationError(QinglianError):
    pass


class InfrastructureError(QinglianError):
    pass


class BrokerUnavailable(InfrastructureError):
    pass


class PortInUse(InfrastructureError):
    pass


class StackError(QinglianError):
    pass
