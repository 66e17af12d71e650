"""One settings object for every Qinglian service.

Values come, highest priority first, from environment variables named
``QINGLIAN_<FIELD>``, then from an optional TOML file (``QINGLIAN_CONFIG_FILE``
or ``--config``), then from the defaults below, which run the local stack that
``qinglian stack up`` starts.  An unknown key in the file or an unknown
``QINGLIAN_*`` variable is an error: a typo must never silently fall back to a
default.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from qinglian.errors import ConfigurationError

ENV_PREFIX = "QINGLIAN_"
CONFIG_FILE_VARIABLE = f"{ENV_PREFIX}CONFIG_FILE"
DEVELOPMENT_PSEUDONYM_KEY = "qinglian-development-key-change-me"
DEVELOPMENT_SESSION_SECRET = "qinglian-development-session-secret-change-me"


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Qinglian configuration. Field docs feed the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    config_file: Path | None = Field(
        None, description="Optional TOML file with any of these settings (lower-case keys)."
    )
    state_dir: Path = Field(
        Path(".qinglian"),
        description="Where the local stack keeps its data, logs and PID files (relative paths are under the project root).",
    )
    cache_dir: Path = Field(
        Path.home() / ".cache" / "qinglian",
        description="Download cache: the Kafka jars fetched with mvn.",
    )
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:19092",
        description="Kafka brokers, comma-separated. Point at an existing cluster to skip the local one.",
    )
    kafka_version: str = Field(
        "3.9.1", description="Apache Kafka version the local stack fetches from Maven Central."
    )
    kafka_port: int = Field(19092, description="Port of the local Kafka broker (KRaft).")
    kafka_controller_port: int = Field(
        19093, description="Port of the local Kafka KRaft controller listener."
    )
    database_url: str = Field(
        "sqlite:///.qinglian/qinglian.db",
        description="SQLAlchemy URL of the case database. SQLite for the quick start; PostgreSQL in production and tests.",
    )
    postgres_port: int = Field(15432, description="Port of the project-local PostgreSQL cluster.")
    postgres_bin_dir: Path | None = Field(
        None,
        description="Directory with initdb/pg_ctl; found under /usr/lib/postgresql when unset.",
    )
    topic_prefix: str = Field(
        "qinglian", description="Prefix of every Kafka topic the project creates."
    )
    topic_partitions: int = Field(
        6, ge=1, description="Partitions per topic; a multiple of the number of detector workers."
    )
    topic_replication_factor: int = Field(
        1, ge=1, description="Replication factor of created topics (3 in production)."
    )
    raw_retention_ms: int = Field(
        -1,
        description="Retention of the raw event topics, the auditors' record; -1 keeps them indefinitely.",
    )
    deadletter_retention_ms: int = Field(
        -1, description="Retention of the dead-letter topic; -1 keeps it indefinitely."
    )
    alerts_retention_ms: int = Field(
        -1, description="Retention of the alerts topic; -1 keeps it indefinitely."
    )
    pseudonym_key: SecretStr = Field(
        SecretStr(DEVELOPMENT_PSEUDONYM_KEY),
        description="HMAC key that pseudonymizes person identifiers at ingest. Set a secret value in production.",
    )
    timezone: str = Field(
        "Asia/Shanghai", description="Time zone of event times and working-day calendars."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Log level."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto: pretty console on a TTY, JSON lines otherwise."
    )
    bind_host: str = Field(
        "127.0.0.1",
        description="Address the HTTP APIs and /metrics listen on (0.0.0.0 in containers).",
    )
    ingest_port: int = Field(
        8100, description="HTTP port of the push API (`qinglian ingest serve`)."
    )
    ingest_workers: int | None = Field(
        None,
        ge=1,
        description="Push API worker processes sharing the port; unset: one per core, at most 4.",
    )
    ingest_sources_file: Path | None = Field(
        None,
        description="Sources file of the push API (ids, HMAC keys by env-var name, permitted types and schools).",
    )
    ingest_max_body_bytes: int = Field(
        10 * 1024 * 1024, ge=1, description="Largest request body the push API accepts."
    )
    ingest_max_events: int = Field(1000, ge=1, description="Most events in one push request.")
    ingest_signature_window_seconds: int = Field(
        300, ge=1, description="Allowed clock skew of a signed push request."
    )
    ingest_publish_timeout_seconds: float = Field(
        5.0, gt=0, description="Seconds the push API waits for Kafka's acks."
    )
    ingest_metrics_port: int = Field(
        9101, description="Prometheus /metrics port of the ingest service."
    )
    ingest_pull_metrics_port: int = Field(
        9104,
        description="Prometheus /metrics port of the pull connectors (`qinglian ingest pull run`).",
    )
    detectors_metrics_port: int = Field(
        9102, description="Prometheus /metrics port of a detector worker."
    )
    detectors_stall_restart_seconds: float = Field(
        600.0,
        ge=0,
        description="A detector worker that has a backlog and reads nothing for this long exits with status 75, "
        "for its supervisor to start it again (faust's silent consumer stalls); a rule step running for "
        "half of it is quarantined and ended in place; 0 turns both off.",
    )
    alerting_port: int = Field(8200, description="HTTP port of the alerting API and console.")
    alerting_metrics_port: int = Field(
        9103, description="Prometheus /metrics port of the alerting service."
    )
    alerting_policy_file: Path | None = Field(
        None,
        description="Alerting policy TOML (grouping window, stage deadlines, escalation ladder); built-in defaults when unset.",
    )
    alerting_leaders_file: Path | None = Field(
        None,
        description="YAML of each school's leaders (school id → role → pseudonym), for conflict-of-interest routing.",
    )
    alerting_channels_file: Path | None = Field(
        None,
        description="YAML of notification channels (webhook, DingTalk, WeCom, email); reminders are only logged when unset.",
    )
    alerting_scheduler_interval_seconds: float = Field(
        60.0,
        gt=0,
        description="Seconds between scheduler passes (escalate overdue cases, send notifications).",
    )
    alerting_session_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_SESSION_SECRET),
        description="Key that signs console session cookies and CSRF tokens. Set a secret value in production.",
    )
    alerting_session_hours: float = Field(
        12.0, gt=0, description="Console sessions expire after this many hours."
    )
    alerting_cookie_secure: bool = Field(
        False, description="Mark the console's cookies Secure (HTTPS only); turn on behind TLS."
    )
    alerting_attachments_dir: Path = Field(
        Path(".qinglian/attachments"),
        description="Where files attached to case actions are kept, named by their sha256.",
    )
    alerting_public_url: str | None = Field(
        None,
        description="Console address used in notification links, e.g. https://jiwei.example.cn; no links when unset.",
    )
    alerting_smtp_host: str = Field("127.0.0.1", description="SMTP server for email notifications.")
    alerting_smtp_port: int = Field(25, description="SMTP port for email notifications.")
    alerting_smtp_sender: str = Field(
        "qinglian@localhost", description="From address of email notifications."
    )
    alerting_smtp_starttls: bool = Field(
        False, description="Upgrade the SMTP connection with STARTTLS before sending."
    )
    alerting_smtp_username: str | None = Field(
        None, description="SMTP login user; no login when unset."
    )
    alerting_smtp_password: SecretStr | None = Field(None, description="SMTP login password.")
    audit_export_key: SecretStr | None = Field(
        None,
        description="HMAC key that signs audit bundles (`qinglian audit export`) and checks their signature; unsigned when unset.",
    )
    prometheus_port: int = Field(
        9090, description="Port of the local Prometheus used by the dashboard tests."
    )

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _servers_have_ports(cls, value: str) -> str:
        for server in value.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"'{server}' is not host:port")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings)

    def resolve(self, path: Path) -> Path:
        """A configured path made absolute against the project root."""
        return path if path.is_absolute() else project_root() / path

    @property
    def state_path(self) -> Path:
        return self.resolve(self.state_dir)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}.{name}"

    def as_dict(self) -> dict[str, Any]:
        """Every setting with secrets masked, for `qinglian config show` and logs."""
        shown = self.model_dump()
        for name, value in shown.items():
            if isinstance(value, SecretStr):
                shown[name] = "**********"
        return shown


def configuration_table() -> str:
    """The README's configuration table, generated from the fields so the two cannot drift."""
    rows = ["| Variable | Default | Meaning |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = field.default
        if isinstance(default, SecretStr):
            default = "(development key)"
        elif name == "cache_dir":
            default = "~/.cache/qinglian"
        elif default is None:
            default = "(unset)"
        rows.append(f"| `{ENV_PREFIX}{name.upper()}` | `{default}` | {field.description} |")
    return "\n".join(rows)


def _unknown_environment_variables() -> list[str]:
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    return sorted(name for name in os.environ if name.startswith(ENV_PREFIX) and name not in known)


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"configuration file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"configuration file {path} is not valid TOML: {exc}") from exc


def _describe(error: ValidationError, origin: str) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "settings"
    if first["type"] == "extra_forbidden":
        return f"unknown setting '{where}' in {origin}"
    return f"invalid setting '{where}' in {origin}: {first['msg']}"


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build the settings, turning every mistake into a one-line ConfigurationError."""
    unknown = _unknown_environment_variables()
    if unknown:
        raise ConfigurationError(
            f"unknown environment variable {unknown[0]} (see README, Configuration)"
        )
    file_path = config_file or (
        Path(os.environ[CONFIG_FILE_VARIABLE]) if CONFIG_FILE_VARIABLE in os.environ else None
    )
    file_values = _read_config_file(file_path) if file_path else {}
    if file_path:
        file_values["config_file"] = file_path
    try:
        # The file is validated alone first so an unknown key names the file, not the environment.
        Settings.model_validate({**file_values})
    except ValidationError as exc:
        if any(error["type"] == "extra_forbidden" for error in exc.errors()):
            raise ConfigurationError(_describe(exc, str(file_path))) from exc
    try:
        # Environment variables beat the file: pass the file values as lowest-priority defaults.
        defaults_from_file = {
            key: value
            for key, value in file_values.items()
            if f"{ENV_PREFIX}{key.upper()}" not in os.environ
        }
        return Settings(**defaults_from_file, **overrides)
    except ValidationError as exc:
        raise ConfigurationError(_describe(exc, "the configuration")) from exc
