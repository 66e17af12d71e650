"""A single-node Apache Kafka broker in KRaft mode (combined broker + controller).

The jars come from Maven Central through ``mvn dependency:copy-dependencies``
on ``deploy/kafka/pom.xml`` and are cached per version; the broker runs on the
JVM directly with the cached class path, so no tarball or script is needed.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qinglian.errors import StackError
from qinglian.settings import Settings, project_root
from qinglian.stack.processes import (
    PidFile,
    alive,
    port_open,
    require_free_port,
    start_detached,
    stop_pid,
    wait_until,
)

BROKER_MAIN = "kafka.Kafka"
STORAGE_TOOL = "kafka.tools.StorageTool"
HEAP = ["-Xms256m", "-Xmx768m"]


@dataclass(frozen=True, slots=True)
class KafkaPaths:
    libs: Path
    home: Path

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def config(self) -> Path:
        return self.home / "server.properties"

    @property
    def log4j(self) -> Path:
        return self.home / "log4j.properties"

    @property
    def log(self) -> Path:
        return self.home / "kafka.log"

    @property
    def pid_file(self) -> PidFile:
        return PidFile(self.home / "kafka.pid", marker=f"-Dqinglian.stack={self.home}")


def kafka_paths(settings: Settings) -> KafkaPaths:
    return KafkaPaths(
        libs=settings.resolve(settings.cache_dir) / f"kafka-{settings.kafka_version}" / "libs",
        home=settings.state_path / "kafka",
    )


def java_executable() -> str:
    java = shutil.which("java")
    if java is None:
        raise StackError(
            "java not found: install Java 17 (apt-get install openjdk-17-jre-headless)"
        )
    return java


def fetch_jars(settings: Settings, paths: KafkaPaths) -> None:
    """Download kafka_2.13 and its runtime dependencies once, into the cache."""
    if paths.libs.is_dir() and any(paths.libs.glob("kafka_2.13-*.jar")):
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise StackError(
            "mvn not found: install Maven (apt-get install maven) to fetch Kafka from Maven Central"
        )
    partial = paths.libs.with_name("libs.partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(project_root() / "deploy" / "kafka" / "pom.xml"),
        "dependency:copy-dependencies",
        f"-Dkafka.version={settings.kafka_version}",
        f"-DoutputDirectory={partial}",
        "-DincludeScope=runtime",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        last = (result.stdout + result.stderr).strip().splitlines()[-1:] or ["no output"]
        raise StackError(f"fetching Kafka {settings.kafka_version} with mvn failed: {last[0]}")
    partial.rename(paths.libs)


def _write_config(settings: Settings, paths: KafkaPaths) -> None:
    paths.home.mkdir(parents=True, exist_ok=True)
    properties = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@127.0.0.1:{settings.kafka_controller_port}",
        "listeners": f"PLAINTEXT://127.0.0.1:{settings.kafka_port},CONTROLLER://127.0.0.1:{settings.kafka_controller_port}",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{settings.kafka_port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(paths.data),
        "num.partitions": str(settings.topic_partitions),
        "offsets.topic.replication.factor": "1",
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.state.log.num.partitions": "10",
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
        "log.retention.hours": "-1",
        "log.segment.bytes": str(64 * 1024 * 1024),
        "num.network.threads": "2",
        "num.io.threads": "4",
    }
    paths.config.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
    paths.log4j.write_text(
        "log4j.rootLogger=WARN, stdout\n"
        "log4j.appender.stdout=org.apache.log4j.ConsoleAppender\n"
        "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout\n"
        "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n\n"
        "log4j.logger.kafka.server.KafkaServer=INFO\n"
        "log4j.logger.kafka.server.BrokerServer=INFO\n"
    )


def _java_command(paths: KafkaPaths, main: str, *arguments: str) -> list[str]:
    return [
        java_executable(),
        *HEAP,
        "-XX:+UseG1GC",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{paths.log4j}",
        paths.pid_file.marker,
        "-cp",
        f"{paths.libs}/*",
        main,
        *arguments,
    ]


def new_cluster_id(random_uuid: Callable[[], uuid.UUID] = uuid.uuid4) -> str:
    """A KRaft cluster id: a random UUID in URL-safe base64. One that starts with "-" would read
    as an option on the storage tool's command line (1 in 64), so, as Kafka's own Uuid does,
    draw again."""
    while True:
        cluster_id = base64.urlsafe_b64encode(random_uuid().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def _format_storage(paths: KafkaPaths) -> None:
    if (paths.data / "meta.properties").exists():
        return
    command = _java_command(
        paths, STORAGE_TOOL, "format", "-t", new_cluster_id(), "-c", str(paths.config)
    )
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise StackError(
            f"formatting Kafka storage failed: {(result.stdout + result.stderr).strip()[-300:]}"
        )


def start(settings: Settings) -> int:
    paths = kafka_paths(settings)
    running = paths.pid_file.running_pid()
    if running:
        return running
    require_free_port(settings.kafka_port, "Kafka", "QINGLIAN_KAFKA_PORT")
    require_free_port(
        settings.kafka_controller_port, "the Kafka controller", "QINGLIAN_KAFKA_CONTROLLER_PORT"
    )
    fetch_jars(settings, paths)
    _write_config(settings, paths)
    _format_storage(paths)
    pid = start_detached(
        _java_command(paths, BROKER_MAIN, str(paths.config)), paths.log, paths.pid_file
    )
    wait_until(lambda: _ready(settings, pid), timeout=90, what="Kafka", log_path=paths.log)
    return pid


def _ready(settings: Settings, pid: int) -> bool:
    if not alive(pid):
        raise StackError(f"Kafka exited during start-up; see {kafka_paths(settings).log}")
    return port_open(settings.kafka_port)


def stop(settings: Settings) -> bool:
    paths = kafka_paths(settings)
    pid = paths.pid_file.running_pid()
    if pid is None:
        paths.pid_file.clear()
        return False
    stop_pid(pid, timeout=45)
    paths.pid_file.clear()
    return True


def running_pid(settings: Settings) -> int | None:
    return kafka_paths(settings).pid_file.running_pid()
