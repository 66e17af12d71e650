"""The audit bundle from the API and the console, on every storage backend: who may export, and what."""

from __future__ import annotations

import io
import zipfile

import pytest
from fastapi.testclient import TestClient

from qinglian.settings import Settings
from services.alerting.adapters.passwords import Argon2Hasher
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.access import User
from services.alerting.domain.bundle_check import check_bundle
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork
from services.alerting.testing import (
    ManualClock,
    RecordingEvidenceSource,
    raw_event_record,
    sample_alert,
)

from .conftest import bearer, log_in

pytestmark = pytest.mark.integration


@pytest.fixture
def service(settings: Settings, any_uow: AbstractUnitOfWork, clock: ManualClock) -> AlertingService:
    return bootstrap(
        settings,
        uow=any_uow,
        clock=clock,
        hasher=Argon2Hasher.for_tests(),
        evidence=RecordingEvidenceSource([raw_event_record("ev-1")]),
    )


@pytest.fixture
def case_id(service: AlertingService, users: dict[str, User]) -> str:
    report = service.ingest([sample_alert(evidence_event_ids=("ev-1", "ev-2"))])
    (case,) = set(report.case_ids.values())
    return case


def unzipped(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_an_auditor_downloads_a_bundle_that_verifies(
    client: TestClient, service: AlertingService, case_id: str
) -> None:
    answer = client.get(f"/api/v1/cases/{case_id}/audit-bundle", headers=bearer(service, "auditor"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert f"qinglian-audit-{case_id}.zip" in answer.headers["content-disposition"]
    verdict = check_bundle(unzipped(answer.content))
    assert verdict.holds and verdict.case_id == case_id
    assert "找到 1 条，缺失 1 条" in verdict.checks[4].summary
    (read,) = service.case_reads(case_id=case_id)
    assert (read.username, read.view) == ("auditor", "audit_export")


def test_roles_without_audit_rights_or_scope_are_refused(
    client: TestClient, service: AlertingService, case_id: str
) -> None:
    path = f"/api/v1/cases/{case_id}/audit-bundle"
    assert client.get(path, headers=bearer(service, "inspector")).status_code == 403
    assert client.get(path, headers=bearer(service, "neighbour")).status_code == 404
    assert service.case_reads(case_id=case_id) == []


def test_the_case_page_links_the_export_for_auditors_only(client: TestClient, case_id: str) -> None:
    log_in(client, "inspector")
    assert 'id="audit-export"' not in client.get(f"/cases/{case_id}").text
    log_in(client, "auditor")
    page = client.get(f"/cases/{case_id}").text
    assert f'id="audit-export" href="/cases/{case_id}/audit-bundle"' in page
    download = client.get(f"/cases/{case_id}/audit-bundle")
    assert download.status_code == 200
    assert check_bundle(unzipped(download.content)).holds
