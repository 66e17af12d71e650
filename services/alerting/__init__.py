"""Alerting service: alerts become cases that inspectors work through to a close (闭环处置).

Layout (a pure core, thin adapters, one composition root):

    domain/          plain data and functions: alerts, cases and their hash-chained
                     history, the workflow table, grouping, silences, working-day
                     deadlines, escalation decisions, notifications, commands
    service_layer/   use cases against storage ports (repositories + unit of work):
                     ingest a batch, take an action, silences, escalate and
                     dispatch, verify histories, counts
    adapters/        SQLAlchemy models, repositories, unit of work and Alembic
                     migrations; the in-memory store; the Kafka alert consumer and
                     dead-letter sink; alert codec; calendar; policy and leaders
                     files; notifier; Prometheus metrics
    entrypoints/     the CLI (`qinglian alerting|db|audit …`) and the consumer loop
    bootstrap.py     `bootstrap(settings)` wires everything into an AlertingService
    testing.py       sample alerts and a manual clock for every test suite

Errors are listed in ``services.alerting.errors``.
"""
