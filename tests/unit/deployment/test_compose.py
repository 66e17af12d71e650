"""deploy/ cannot run here (no Docker engine); this checks it names the same topics, ports and settings as the code."""

from __future__ import annotations

import pytest
import yaml

from qinglian.settings import ENV_PREFIX, Settings, project_root

DEPLOY = project_root() / "deploy"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def defaults() -> Settings:
    return Settings()


def qinglian_services(compose: dict) -> dict[str, dict]:
    return {
        name: spec
        for name, spec in compose["services"].items()
        if spec.get("image", "").startswith("qinglian:")
    }


def test_every_variable_is_a_known_setting(compose: dict) -> None:
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}
    for name, spec in qinglian_services(compose).items():
        unknown = {
            variable for variable in spec["environment"] if variable.startswith(ENV_PREFIX)
        } - known
        assert not unknown, f"{name} sets unknown variables {unknown}"


def test_three_kraft_brokers_with_the_pinned_version(compose: dict, defaults: Settings) -> None:
    brokers = {
        name: spec for name, spec in compose["services"].items() if name.startswith("kafka-")
    }
    assert len(brokers) == 3
    for spec in brokers.values():
        assert spec["image"] == f"apache/kafka:{defaults.kafka_version}"
        assert spec["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    servers = qinglian_services(compose)["ingest"]["environment"][
        "QINGLIAN_KAFKA_BOOTSTRAP_SERVERS"
    ]
    assert sorted(server.split(":")[0] for server in servers.split(",")) == sorted(brokers)


def test_topics_are_created_by_the_project_with_replication(
    compose: dict, defaults: Settings
) -> None:
    topics = qinglian_services(compose)["topics"]
    assert topics["command"] == ["qinglian", "stack", "topics"]
    assert topics["environment"]["QINGLIAN_TOPIC_REPLICATION_FACTOR"] == "3"
    assert int(topics["environment"]["QINGLIAN_TOPIC_PARTITIONS"]) == defaults.topic_partitions


@pytest.mark.parametrize(
    ("service", "ports"),
    [
        ("ingest", ("ingest_port", "ingest_metrics_port")),
        ("alerting", ("alerting_port", "alerting_metrics_port")),
    ],
)
def test_published_ports_match_the_settings(
    compose: dict, defaults: Settings, service: str, ports: tuple[str, ...]
) -> None:
    published = qinglian_services(compose)[service]["ports"]
    assert published == [f"{getattr(defaults, port)}:{getattr(defaults, port)}" for port in ports]


def test_prometheus_scrapes_every_metrics_port(defaults: Settings) -> None:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["qinglian-ingest"]["static_configs"][0]["targets"] == [
        f"ingest:{defaults.ingest_metrics_port}"
    ]
    assert jobs["qinglian-alerting"]["static_configs"][0]["targets"] == [
        f"alerting:{defaults.alerting_metrics_port}"
    ]
    assert (
        jobs["qinglian-detectors"]["dns_sd_configs"][0]["port"] == defaults.detectors_metrics_port
    )


def test_service_commands_exist_in_the_cli(compose: dict) -> None:
    from typer.main import get_command

    from qinglian.cli import app

    root = get_command(app)
    for name, spec in qinglian_services(compose).items():
        group, command = spec["command"][1:3]
        assert command in root.commands[group].commands, (
            f"{name}: `qinglian {group} {command}` does not exist"
        )
