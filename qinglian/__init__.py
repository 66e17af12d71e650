"""清廉 Qinglian: shared runtime (settings, logging, metrics, Kafka plumbing, local stack) and the CLI."""

__version__ = "0.1.0"
