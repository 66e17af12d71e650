"""Alerting service: alerts become cases that inspectors work through to a close (闭环处置).

Layout (a pure core, thin adapters, one composition root):

    domain/          plain data and functions: alerts, cases and their hash-chained
                     history, the workflow table, grouping, silences, working-day
                     deadlines, escalation decisions, notifications, commands;
                     roles and scopes (access), credentials, summary figures;
                     audit bundles (building, and checking them offline)
    service_layer/   use cases against storage ports (repositories + unit of work):
                     ingest a batch, take an action, silences, escalate and
                     dispatch, verify histories, export audit bundles, counts;
                     accounts (passwords, tokens, sessions) and the signed-in
                     user's desk (scoped, logged reads and role-checked actions)
    adapters/        SQLAlchemy models, repositories, unit of work and Alembic
                     migrations; bulk inserts (COPY); the in-memory store; the
                     Kafka alert consumer and dead-letter sink; alert codec;
                     calendar; policy, leaders and channels files; notifiers
                     (log; webhook, DingTalk, WeCom, email with retries);
                     argon2 passwords; attachments on disk; Prometheus metrics;
                     the raw-topic evidence reader and bundle files (zip or folder)
    entrypoints/     the CLI (`qinglian alerting|db|audit …`), the consumer loop,
                     the scheduler loop, `serve` (all of them plus the web app in
                     one process) and web/ (REST API, console, templates, CSS)
    bootstrap.py     `bootstrap(settings)` wires everything into an AlertingService
    testing.py       sample alerts and users, a manual clock and a recording evidence
                     source for every test suite

Errors are listed in ``services.alerting.errors``.
"""
