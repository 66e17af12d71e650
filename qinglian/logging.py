"""structlog configuration shared by every service.

JSON lines when the output is not a terminal (or when asked), a pretty console
otherwise. Standard-library loggers (aiokafka, faust, uvicorn, kafka-python) go
through the same processors, so every line has the same shape. Context such as
``service``, ``event_id``, ``alert_id`` and ``case_id`` is bound with
``structlog.contextvars.bound_contextvars``.
"""

from __future__ import annotations

import logging
import sys

import structlog

from qinglian.settings import Settings

QUIET_LIBRARIES = ("kafka", "aiokafka", "faust", "mode", "uvicorn.access", "alembic")


def _shared_processors() -> list[structlog.types.Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=False),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
    ]


def configure_logging(settings: Settings, service: str) -> None:
    """Route structlog and stdlib logging to stderr in one format; call once per process."""
    use_json = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer()
    )
    level = getattr(logging, settings.log_level.upper())
    structlog.configure(
        processors=[*_shared_processors(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
