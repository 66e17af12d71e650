"""`qinglian audit export` against PostgreSQL and real raw topics; `audit verify BUNDLE` then needs neither.

The raw events are produced, keyed by school id as ingest does, to raw topics
under a unique prefix (with other schools' events and uncited events of the same
school around them); the alerts citing them are turned into a case in the
session's PostgreSQL database. Both commands run as real processes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from kafka.producer.future import RecordMetadata

from contracts.envelope import new_event
from qinglian import broker
from qinglian.settings import Settings
from qinglian.topics import DOMAINS, raw_topic, topic_specs
from services.alerting.adapters.database import create_database_engine, new_session_factory
from services.alerting.adapters.evidence_reader import partition_for
from services.alerting.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from services.alerting.bootstrap import bootstrap
from services.alerting.domain.alerts import RiskArea
from services.alerting.domain.commands import TakeAction
from services.alerting.domain.workflow import Action
from services.alerting.testing import sample_alert

from .conftest import empty_alerting_tables

pytestmark = pytest.mark.integration

QINGLIAN = Path(sys.executable).with_name("qinglian")
SCHOOL = "500102001"
OTHER_SCHOOLS = ("500102002", "500102003", "500102004")
EVENT_TYPES = {
    "canteen": "cn.edu.qinglian.canteen.inbound_inspection.v1",
    "finance": "cn.edu.qinglian.finance.payment_voucher.v1",
}
NOWHERE = {
    "QINGLIAN_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/nowhere",
    "QINGLIAN_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9",
}


def qinglian(*arguments: str, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QINGLIAN_")}
    return subprocess.run(
        [str(QINGLIAN), *arguments],
        env={**clean, **environment},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


@pytest.fixture
def isolated(kafka_settings: Settings, migrated_postgresql_url: str) -> Iterator[Settings]:
    """Settings on raw topics of this test's own and the session's PostgreSQL database (emptied)."""
    settings = kafka_settings.model_copy(
        update={
            "topic_prefix": f"qinglian.test-export-{uuid.uuid4().hex[:8]}",
            "database_url": migrated_postgresql_url,
        }
    )
    raw = {raw_topic(settings, domain) for domain in DOMAINS}
    broker.ensure_topics(settings, [spec for spec in topic_specs(settings) if spec.name in raw])
    empty_alerting_tables(migrated_postgresql_url)
    yield settings
    admin = broker.admin_client(settings)
    try:
        admin.delete_topics(sorted(raw))
    finally:
        admin.close()


def publish(settings: Settings, domain: str, school_id: str, event_id: str) -> RecordMetadata:
    """One raw event, produced as ingest does (structured CloudEvent, keyed by school id)."""
    event = new_event(
        EVENT_TYPES[domain],
        f"/schools/{school_id}",
        school_id,
        {"note": "原始记录", "event": event_id},
        time=datetime.now(UTC),
        event_id=event_id,
    )
    producer = broker.durable_producer(settings, "test-audit-export")
    try:
        future = producer.send(
            raw_topic(settings, domain), key=school_id.encode(), value=orjson.dumps(event)
        )
        return future.get(timeout=30)
    finally:
        producer.close()


@pytest.fixture
def case_id(isolated: Settings) -> str:
    """A case whose two alerts cite three events on the raw topics and one that never arrived."""
    cited = {
        "ev-delivery": publish(isolated, "canteen", SCHOOL, "ev-delivery"),
        "ev-inspection": publish(isolated, "canteen", SCHOOL, "ev-inspection"),
        "ev-payment": publish(isolated, "finance", SCHOOL, "ev-payment"),
    }
    for n, school in enumerate(OTHER_SCHOOLS):
        publish(isolated, "canteen", school, f"noise-{n}")
    publish(isolated, "canteen", SCHOOL, "uncited")
    assert {meta.partition for meta in cited.values()} == {partition_for(SCHOOL, 6)}
    detected = datetime.now(UTC)
    engine = create_database_engine(isolated.database_url)
    service = bootstrap(isolated, uow=SqlAlchemyUnitOfWork(new_session_factory(engine)))
    report = service.ingest(
        [
            sample_alert(
                alert_id=f"al-{uuid.uuid4().hex[:8]}",
                evidence_event_ids=("ev-delivery", "ev-inspection"),
                detected_at=detected,
            ),
            sample_alert(
                alert_id=f"al-{uuid.uuid4().hex[:8]}",
                evidence_event_ids=("ev-payment", "ev-never-arrived"),
                risk_area=RiskArea.FINANCE,
                rules_config_hash="fedcba9876543210",
                detected_at=detected,
            ),
        ]
    )
    (case,) = set(report.case_ids.values())
    service.take_action(TakeAction(case, Action.ASSIGN, actor="lead", assignee="a1"))
    engine.dispose()
    return case


def test_an_exported_case_verifies_offline_and_tampering_is_named(
    isolated: Settings, case_id: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "case.zip"
    exported = qinglian(
        "audit",
        "export",
        case_id,
        "--out",
        str(bundle),
        "--exporter",
        "auditor-zhou",
        environment={
            "QINGLIAN_DATABASE_URL": isolated.database_url,
            "QINGLIAN_KAFKA_BOOTSTRAP_SERVERS": isolated.kafka_bootstrap_servers,
            "QINGLIAN_TOPIC_PREFIX": isolated.topic_prefix,
        },
    )
    assert exported.returncode == 0, exported.stdout + exported.stderr
    assert "3 evidence events found, 1 missing" in exported.stdout
    assert "missing evidence: ev-never-arrived" in exported.stdout

    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        evidence = [json.loads(line) for line in archive.read("evidence.jsonl").splitlines()]
    assert manifest["case_id"] == case_id and manifest["exporter"] == "auditor-zhou"
    assert manifest["counts"]["history_entries"] == 3 == manifest["case"]["history_count"]
    assert manifest["rules_config_hashes"] == ["9b1d4e7a2c3f5b68", "fedcba9876543210"]
    assert manifest["evidence"]["missing"] == ["ev-never-arrived"]
    by_id = {record["event_id"]: record for record in evidence}
    assert set(by_id) == {"ev-delivery", "ev-inspection", "ev-payment"}
    assert by_id["ev-payment"]["topic"] == raw_topic(isolated, "finance")
    assert json.loads(by_id["ev-delivery"]["value"])["data"]["note"] == "原始记录"

    verified = qinglian("audit", "verify", str(bundle), environment=NOWHERE)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "bundle verified: every check holds" in verified.stdout

    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(bundle) as original, zipfile.ZipFile(forged, "w") as copy:
        for info in original.infolist():
            content = original.read(info)
            if info.filename == "evidence.jsonl":
                content = content.replace("原始记录".encode(), "修改过的记录".encode(), 1)
            copy.writestr(info, content)
    refused = qinglian("audit", "verify", str(forged), environment=NOWHERE)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "evidence.jsonl: sha256 与 manifest.json 不符" in refused.stdout
    assert "value sha256 differs" in refused.stdout
    assert "bundle verification FAILED" in refused.stdout


def test_without_an_argument_verify_still_checks_the_database(
    isolated: Settings, case_id: str
) -> None:
    result = qinglian(
        "audit", "verify", environment={"QINGLIAN_DATABASE_URL": isolated.database_url}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "checked 1 cases, 0 failed" in result.stdout
