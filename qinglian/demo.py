"""The demo: the whole pipeline on a simulated district, started by one command.

Local stack → database migrations and demo accounts → push API, pull
connectors, detector workers, alerting service (console) → the simulator feeding
a district in compressed time. Every service runs as its own `qinglian` process,
exactly as in production; this module only starts, watches and stops them.

The district's systems are played by the simulator, each on its own ingest path
(deploy/ingest/connectors.yaml): canteen purchase orders in a 前置库 (a SQLite
file), attendance sheets behind a REST API (served here, from a thread, out of
the folder the simulator writes), meal-fee exports in a drop folder, procurement
as OCDS releases; everything else is pushed.

Once the simulator has finished and every event it made has reached the pipeline, the demo
declares that event time has reached now (``qinglian detectors clock``), as an operator does
when a district's sources go quiet: the windows still open at the end of the simulated days
(a term's canteen surplus, a month's subsidy claims) close and raise their alerts.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from qinglian.errors import StackError
from qinglian.settings import Settings, project_root
from qinglian.stack import control, postgres
from qinglian.stack.kafka import kafka_paths
from qinglian.supervisor import ServiceSpec, Supervisor, supervised
from services.detectors.core.eventtime import CHINA_TZ
from services.detectors.runtime.stall import EXIT_STALLED

DEMO_DISTRICT = "500102"
DEMO_USERS = (
    ("inspector", "district_inspector", "区纪检演示账号"),
    ("auditor", "auditor", "审计演示账号"),
)
PUSH_SOURCE = "district-simulator"
PUSH_KEY = "simulator"
SECRET_VARIABLE = "QL_DEMO_PUSH_SECRET"
REST_TOKEN_VARIABLE = "QL_DEMO_REST_TOKEN"
DEPLOYED_CONNECTORS = Path("deploy/ingest/connectors.yaml")
PULL_POLL_SECONDS = 2.0
Report = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoPlan:
    schools: int = 300
    days: int = 30
    seconds_per_day: float = (
        20.0  # ~120,000 events per simulated day for 300 schools: what one push API sustains
    )
    workers: int = 2
    seed: int = 1


@dataclass(frozen=True, slots=True)
class DemoPaths:
    home: Path

    @property
    def sources(self) -> Path:
        return self.home / "sources.yaml"

    @property
    def connectors(self) -> Path:
        return self.home / "connectors.yaml"

    @property
    def drop(self) -> Path:
        return self.home / "drop"

    @property
    def ocds(self) -> Path:
        return self.home / "ocds"

    @property
    def rest_source(self) -> Path:
        return self.home / "rest-source"

    @property
    def staging(self) -> Path:
        return self.home / "qianzhiku.db"

    @property
    def secret(self) -> Path:
        return self.home / "push-secret"

    @property
    def password(self) -> Path:
        return self.home / "demo-password"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def simulation(self) -> Path:
        return self.home / "district"


def demo_database_url(settings: Settings) -> str:
    """The configured case database, or the local PostgreSQL when only the quick-start SQLite default is set."""
    if settings.database_url == Settings.model_fields["database_url"].default:
        return postgres.database_url(settings)
    return settings.database_url


def start_afresh(settings: Settings, report: Report) -> None:
    """Stop the local stack and delete what it and earlier demos stored (Kafka's topics, the
    PostgreSQL cluster with the cases, the pull checkpoints and the push API's memory of event
    ids, the detectors' state, the demo's files), so the district is simulated into an empty
    pipeline. A database configured elsewhere is not the demo's to delete: refused."""
    if demo_database_url(settings) != postgres.database_url(settings):
        raise StackError(
            "--fresh 只清空本地栈的数据库 / --fresh empties only the local stack's database, and "
            "QINGLIAN_DATABASE_URL names another one: unset it, or empty that database yourself"
        )
    control.down(settings, report=report)
    stored = (
        kafka_paths(settings).home,
        postgres.postgres_paths(settings).home,
        settings.state_path / "detectors",
        DemoPaths(settings.state_path / "demo").home,
    )
    for folder in stored:
        shutil.rmtree(folder, ignore_errors=True)
    report(f"已清空 / deleted {', '.join(str(folder) for folder in stored)}")


def _reset_sources(paths: DemoPaths) -> None:
    """Empty sources: what an earlier demo left there may be of another district."""
    for folder in (paths.drop, paths.ocds, paths.rest_source):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    paths.staging.unlink(missing_ok=True)


@contextmanager
def _rest_source(paths: DemoPaths, token: str) -> Iterator[str]:
    """The school system's REST API, answering from the records the simulator adds to its folder; yields its URL."""
    from services.ingest.connectors.writers.rest_source import (
        RestSourceStore,
        create_source_app,
        serving,
    )

    with serving(
        create_source_app(RestSourceStore(folder=paths.rest_source), token=token)
    ) as base_url:
        yield base_url


def _prepare(paths: DemoPaths, rest_url: str) -> tuple[str, str, list[str]]:
    """The push secret, the demo password and the pull connectors' ids."""
    paths.home.mkdir(parents=True, exist_ok=True)
    for path in (paths.secret, paths.password):
        if not path.exists():
            path.write_text(secrets.token_urlsafe(18))
            path.chmod(0o600)
    paths.sources.write_text(
        "# 演示推送来源 / demo push source: the simulator signs with the key read from "
        f"${SECRET_VARIABLE}\nsources:\n"
        f"  - id: {PUSH_SOURCE}\n    name: 区县模拟器 / district simulator\n"
        f"    keys: [{{id: {PUSH_KEY}, secret_env: {SECRET_VARIABLE}}}]\n"
        '    event_types: ["cn.edu.qinglian.*"]\n    school_ids: ["*"]\n'
    )
    connectors = write_connectors(paths, rest_url)
    return paths.secret.read_text(), paths.password.read_text(), connectors


def write_connectors(paths: DemoPaths, rest_url: str) -> list[str]:
    """The deployed connectors, one of each kind, pointed at the demo's sources and polling every few
    seconds; returns their ids."""
    deployed = project_root() / DEPLOYED_CONNECTORS
    try:
        document = yaml.safe_load(deployed.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StackError(f"演示需要连接器文件 / the demo needs {deployed}: {exc.strerror}") from exc
    district = {"value": DEMO_DISTRICT}  # the simulator's district, as pushed events carry it
    for entry in document["connectors"]:
        entry["poll_interval_seconds"] = PULL_POLL_SECONDS
        kind = entry["kind"]
        if kind == "file_drop":
            entry["folder"] = str(paths.drop)
        elif kind == "staging_db":
            entry["url"] = f"sqlite:///{paths.staging}"
        elif kind == "rest_api":
            entry.update(base_url=rest_url, token_env=REST_TOKEN_VARIABLE)
        else:
            entry.update(folder=str(paths.ocds), district_id=DEMO_DISTRICT)
        for mapping in (
            entry.get("files", []) + entry.get("tables", []) + entry.get("resources", [])
        ):
            mapping["district_id"] = district
    paths.connectors.write_text(
        f"# 演示拉取连接器 / demo pull connectors: {DEPLOYED_CONNECTORS}, fed by the simulator\n"
        + yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    return [entry["id"] for entry in document["connectors"]]


def _qinglian(
    arguments: list[str], environment: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qinglian", *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def _migrate_and_seed_accounts(environment: dict[str, str], password: str) -> None:
    upgrade = _qinglian(["db", "upgrade"], environment)
    if upgrade.returncode != 0:
        raise StackError(
            f"qinglian db upgrade failed: {(upgrade.stderr or upgrade.stdout).strip()[-300:]}"
        )
    existing = _qinglian(["alerting", "user", "list"], environment).stdout
    for username, role, name in DEMO_USERS:
        if username in existing.split():
            continue
        added = _qinglian(
            [
                "alerting",
                "user",
                "add",
                username,
                "--role",
                role,
                "--name",
                name,
                "--district",
                DEMO_DISTRICT,
                "--password-stdin",
            ],
            environment,
            stdin=password + "\n",
        )
        if added.returncode != 0:
            raise StackError(
                f"adding demo user {username} failed: {(added.stderr or added.stdout).strip()[-300:]}"
            )


def _services(settings: Settings, plan: DemoPlan, paths: DemoPaths) -> list[ServiceSpec]:
    host = "127.0.0.1"
    workers = [
        ServiceSpec(
            f"detectors-{index}",
            (
                "detectors",
                "worker",
                "--web-port",
                str(6066 + index),
                "--metrics-port",
                str(settings.detectors_metrics_port + 10 * index),
            ),
            ready_url=f"http://{host}:{settings.detectors_metrics_port + 10 * index}/metrics",
            restart_on=frozenset({EXIT_STALLED}),
        )
        for index in range(plan.workers)
    ]
    return [
        ServiceSpec(
            "ingest",
            ("ingest", "serve", "--sources", str(paths.sources)),
            ready_url=f"http://{host}:{settings.ingest_port}/healthz",
        ),
        ServiceSpec(
            "ingest-pull",
            ("ingest", "pull", "run", "--config", str(paths.connectors)),
            ready_url=f"http://{host}:{settings.ingest_pull_metrics_port}/metrics",
        ),
        ServiceSpec(
            "alerting",
            ("alerting", "serve"),
            ready_url=f"http://{host}:{settings.alerting_port}/healthz",
        ),
        *workers,
        ServiceSpec(
            "simulator",
            (
                "simulate",
                "--schools",
                str(plan.schools),
                "--days",
                str(plan.days),
                "--seed",
                str(plan.seed),
                "--push",
                f"http://{host}:{settings.ingest_port}",
                "--source-id",
                PUSH_SOURCE,
                "--key-id",
                PUSH_KEY,
                "--secret-file",
                str(paths.secret),
                "--compress-time",
                str(plan.seconds_per_day),
                "--connectors",
                str(paths.connectors),
                "--rest-source",
                str(paths.rest_source),
                "--out",
                str(paths.simulation),
                "--no-progress",
            ),
        ),
    ]


def _scrape(url: str) -> list[Sample]:
    """Every sample a /metrics endpoint exports, fetched once; none while it does not answer."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return []
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def _total(samples: list[Sample], metric: str, **labels: str) -> float:
    return sum(
        sample.value
        for sample in samples
        if sample.name == metric and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def _progress_line(settings: Settings, plan: DemoPlan) -> str:
    host = "http://127.0.0.1"
    pushed = _stored(
        _scrape(f"{host}:{settings.ingest_metrics_port}/metrics"), "qinglian_ingest_events_total"
    )
    pulled = _stored(
        _scrape(f"{host}:{settings.ingest_pull_metrics_port}/metrics"),
        "qinglian_ingest_connector_records_total",
    )
    workers = [
        _scrape(f"{host}:{settings.detectors_metrics_port + 10 * index}/metrics")
        for index in range(plan.workers)
    ]
    alerts = sum(_total(samples, "qinglian_detectors_alerts_total") for samples in workers)
    # Every worker exports its whole group's lag: one reading (the larger), not their sum.
    lag = max(_total(samples, "qinglian_consumer_lag_messages") for samples in workers)
    cases = _total(
        _scrape(f"{host}:{settings.alerting_metrics_port}/metrics"), "qinglian_alerting_cases"
    )
    return (
        f"推送 pushed {pushed} · 拉取 pulled {pulled} · 检测积压 detector lag {lag:,.0f} · "
        f"预警 alerts {alerts:,.0f} · 案件 cases {cases:,.0f}"
    )


def _stored(samples: list[Sample], metric: str) -> str:
    """Accepted events, and the duplicates if any: the district is the same on every run (one
    seed), so a second demo's events were all stored by the first, and "0" alone looks like a stall."""
    accepted = _total(samples, metric, result="accepted")
    duplicates = _total(samples, metric, result="duplicate")
    return f"{accepted:,.0f}" + (f"（重复 duplicates {duplicates:,.0f}）" if duplicates else "")


def _where_to_look(settings: Settings, plan: DemoPlan, paths: DemoPaths, password: str) -> str:
    host = "http://127.0.0.1"
    metrics = ", ".join(
        [
            f"{host}:{settings.ingest_metrics_port}/metrics",
            f"{host}:{settings.ingest_pull_metrics_port}/metrics",
            f"{host}:{settings.alerting_metrics_port}/metrics",
        ]
        + [
            f"{host}:{settings.detectors_metrics_port + 10 * index}/metrics"
            for index in range(plan.workers)
        ]
    )
    return (
        f"   控制台 console   {host}:{settings.alerting_port}/  登录 login: inspector / {password}"
        f"  (auditor / {password} 只读 read-only)\n"
        f"   推送接口 push API {host}:{settings.ingest_port}/docs\n"
        f"   拉取来源 pulled   每 {PULL_POLL_SECONDS:g} 秒 every {PULL_POLL_SECONDS:g} s: "
        "前置库 staging DB (采购订单 canteen purchase orders), REST (考勤 attendance), "
        "投递目录 drop folder (食堂缴费 meal-fee exports), OCDS (采购 procurement)\n"
        f"                     {paths.staging}, {paths.rest_source}, {paths.drop}, {paths.ocds}\n"
        f"   指标 metrics      {metrics}\n"
        "   停止 stop         Ctrl-C (the stack keeps running: ./run qinglian stack down)"
    )


def run_demo(
    settings: Settings,
    plan: DemoPlan,
    *,
    duration: float | None,
    report: Report,
    fresh: bool = False,
) -> None:
    paths = DemoPaths(settings.state_path / "demo")
    if fresh:
        report("⓪ 重新开始 / starting afresh: stopping the local stack and deleting its data")
        start_afresh(settings, report=lambda message: report(f"   {message}"))
    report("① 启动本地栈 / starting the local stack (Kafka KRaft + PostgreSQL)")
    control.up(settings, report=lambda message: report(f"   {message}"))
    _reset_sources(paths)
    rest_token = secrets.token_urlsafe(18)
    with _rest_source(paths, rest_token) as rest_url:
        push_secret, password, connectors = _prepare(paths, rest_url)
        environment = {
            **os.environ,
            "QINGLIAN_DATABASE_URL": demo_database_url(settings),
            SECRET_VARIABLE: push_secret,
            REST_TOKEN_VARIABLE: rest_token,
        }
        report("② 迁移数据库、创建演示账号 / migrating the database, creating demo accounts")
        _migrate_and_seed_accounts(environment, password)
        _run_services(settings, plan, paths, environment, password, connectors, duration, report)


def _run_services(
    settings: Settings,
    plan: DemoPlan,
    paths: DemoPaths,
    environment: dict[str, str],
    password: str,
    connectors: list[str],
    duration: float | None,
    report: Report,
) -> None:
    with supervised(paths.logs, report) as supervisor:
        report(f"③ 启动服务 / starting the services (logs in {paths.logs})")
        for spec in _services(settings, plan, paths):
            supervisor.start(dataclasses.replace(spec, environment=environment))
            report(f"   ✔ {spec.name}")
        report(
            f"④ 模拟 {plan.schools} 所学校 {plan.days} 天（每天 {plan.seconds_per_day:g} 秒）/ "
            f"simulating {plan.schools} schools over {plan.days} days, {plan.seconds_per_day:g} s per day"
        )
        report(_where_to_look(settings, plan, paths, password))
        _watch(
            supervisor,
            settings,
            plan,
            _EndOfInput(settings, connectors, environment, report),
            duration,
            report,
        )


def _watch(
    supervisor: Supervisor,
    settings: Settings,
    plan: DemoPlan,
    declare_end_of_input: Callable[[], bool],
    duration: float | None,
    report: Report,
) -> None:
    """Report progress until ``duration`` ends (or forever); once the simulator has finished,
    ``declare_end_of_input`` until it says it did."""
    deadline = None if duration is None else time.monotonic() + duration
    declared = False
    while deadline is None or time.monotonic() < deadline:
        time.sleep(min(5.0, max(0.1, (deadline - time.monotonic()) if deadline else 5.0)))
        simulated = False
        for service, status in supervisor.restart_exited():
            report(
                f"   ↻ {service.spec.name} 停滞，已重启 / stalled (exit status {status}) and was started again "
                f"({service.starts} starts); see {service.log_path}"
            )
        for service in supervisor.failed():
            simulated = service.spec.name == "simulator" and service.process.returncode == 0
            if not simulated:
                raise StackError(
                    f"{service.spec.name} stopped with exit code {service.process.returncode}; see {service.log_path}"
                )
        report(f"   {_progress_line(settings, plan)}")
        if simulated and not declared:
            declared = declare_end_of_input()


class _EndOfInput:
    """Declares event time up to now once every simulated event has reached the pipeline.

    The simulator's pushes are answered before it exits; what it wrote to the pulled sources is
    read by the first pass of each connector that begins after it exited. Passes of a connector
    follow one another, so the second pass to end after the simulator was seen finished began
    after it did."""

    def __init__(
        self, settings: Settings, connectors: list[str], environment: dict[str, str], report: Report
    ) -> None:
        self._settings = settings
        self._connectors = connectors
        self._environment = environment
        self._report = report
        self._ended: dict[str, float] | None = None
        """When each connector's latest pass ended, at the previous look that counted."""
        self._rounds = 0
        """Rounds since the simulator was seen finished in which every connector ended a pass."""

    def __call__(self) -> bool:
        """One look, after the simulator finished; True once declared."""
        ended = _pull_passes(self._settings)
        if self._ended is not None:
            if not all(
                ended.get(name, 0.0) > self._ended.get(name, 0.0) for name in self._connectors
            ):
                return False
            self._rounds += 1
        self._ended = ended
        if self._rounds < 2:
            return False
        now = datetime.now(CHINA_TZ).isoformat(timespec="seconds")
        declared = _qinglian(["detectors", "clock", "--through", now], self._environment)
        if declared.returncode != 0:
            raise StackError(
                f"qinglian detectors clock failed: {(declared.stderr or declared.stdout).strip()[-300:]}"
            )
        self._report(
            f"⑤ 模拟事件已全部送达，声明事件时间已到 {now}，学期、月度窗口随之关闭 / every simulated event has "
            f"arrived: declared event time up to {now} (qinglian detectors clock), so term and month windows close"
        )
        return True


def _pull_passes(settings: Settings) -> dict[str, float]:
    """When each pull connector last completed a pass (Unix seconds)."""
    samples = _scrape(f"http://127.0.0.1:{settings.ingest_pull_metrics_port}/metrics")
    return {
        sample.labels["connector"]: sample.value
        for sample in samples
        if sample.name == "qinglian_ingest_connector_last_success_timestamp_seconds"
    }
