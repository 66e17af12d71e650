"""Settings: environment beats file beats defaults; every mistake is a one-line ConfigurationError."""

from __future__ import annotations

from pathlib import Path

import pytest

from qinglian.errors import ConfigurationError
from qinglian.settings import ENV_PREFIX, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about defaults and precedence: start without any QINGLIAN_* variable."""
    import os

    for name in list(os.environ):
        if name.startswith(ENV_PREFIX):
            monkeypatch.delenv(name)


def test_defaults_run_the_local_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.kafka_bootstrap_servers == "127.0.0.1:19092"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.topic("alerts") == "qinglian.alerts"


# Linux's default range for the local end of outgoing connections (net.ipv4.ip_local_port_range):
# a default port inside it is taken, now and then, by some client's connection when the stack
# starts, and `qinglian stack up` then refuses the port.
EPHEMERAL_PORTS = range(32768, 61000)


def test_no_default_port_lies_in_the_ephemeral_range() -> None:
    settings = load_settings()
    ports = {
        name: getattr(settings, name)
        for name in type(settings).model_fields
        if name.endswith("_port")
    }
    assert len(ports) >= 5
    assert {name: port for name, port in ports.items() if port in EPHEMERAL_PORTS} == {}


def test_environment_points_at_existing_infrastructure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGLIAN_KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("QINGLIAN_DATABASE_URL", "postgresql+psycopg://u@db:5432/qinglian")
    settings = load_settings()
    assert settings.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert settings.database_url == "postgresql+psycopg://u@db:5432/qinglian"


def test_environment_beats_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "qinglian.toml"
    config.write_text('topic_partitions = 12\nlog_level = "debug"\n')
    monkeypatch.setenv("QINGLIAN_TOPIC_PARTITIONS", "3")
    settings = load_settings(config)
    assert settings.topic_partitions == 3
    assert settings.log_level == "debug"


def test_secrets_are_masked_when_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QINGLIAN_PSEUDONYM_KEY", "very-secret-value")
    shown = load_settings().as_dict()
    assert shown["pseudonym_key"] == "**********"
    assert "very-secret-value" not in repr(shown)


@pytest.mark.parametrize(
    ("file_text", "environment", "message"),
    [
        (
            "",
            {"QINGLIAN_KAFKA_BOOTSTRAPSERVERS": "x:1"},
            "unknown environment variable QINGLIAN_KAFKA_BOOTSTRAPSERVERS",
        ),
        ("kafka_prot = 1\n", {}, "unknown setting 'kafka_prot'"),
        ("topic_partitions = 0\n", {}, "invalid setting 'topic_partitions'"),
        ("", {"QINGLIAN_KAFKA_BOOTSTRAP_SERVERS": "no-port-here"}, "is not host:port"),
        ("this is = = not toml", {}, "is not valid TOML"),
    ],
)
def test_bad_configuration_is_one_clear_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    file_text: str,
    environment: dict[str, str],
    message: str,
) -> None:
    config = tmp_path / "qinglian.toml"
    config.write_text(file_text)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as raised:
        load_settings(config)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_missing_config_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(tmp_path / "absent.toml")
