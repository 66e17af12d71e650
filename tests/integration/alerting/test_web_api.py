"""The REST API on every storage backend: authentication, CSRF, scope and conflict of interest,
the workflow, filters, silences, attachments, reports and the personal-data access log."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from services.alerting.bootstrap import AlertingService
from services.alerting.domain.access import User
from services.alerting.domain.alerts import RiskArea, Severity, Subject, SubjectKind
from services.alerting.testing import ManualClock, sample_alert

from .conftest import PRINCIPAL, bearer, log_in

pytestmark = pytest.mark.integration


@pytest.fixture
def cases(service: AlertingService, users: dict[str, User]) -> dict[str, str]:
    """An ordinary orange canteen case at school 001, a red one about its principal, a yellow finance case at 002."""
    return service.ingest(
        [
            sample_alert(alert_id="ordinary"),
            sample_alert(
                alert_id="principal",
                rule_id="F2",
                severity=Severity.RED,
                subject=Subject(SubjectKind.STAFF, PRINCIPAL),
            ),
            sample_alert(
                alert_id="neighbour",
                school_id="500102002",
                risk_area=RiskArea.FINANCE,
                severity=Severity.YELLOW,
            ),
        ]
    ).case_ids


def test_the_api_needs_a_token_or_a_session(client: TestClient, cases: dict[str, str]) -> None:
    answer = client.get("/api/v1/cases")
    assert answer.status_code == 401
    assert answer.json()["error"] == "authentication_failed"
    wrong = client.get("/api/v1/cases", headers={"Authorization": "Bearer qlt_wrong"})
    assert wrong.status_code == 401


def test_a_school_officer_cannot_see_or_open_a_case_about_their_principal(
    client: TestClient, service: AlertingService, cases: dict[str, str]
) -> None:
    officer = bearer(service, "officer")
    listed = {item["id"] for item in client.get("/api/v1/cases", headers=officer).json()["items"]}
    assert listed == {cases["ordinary"]}
    principal_case = cases["principal"]
    for path in (f"/api/v1/cases/{principal_case}", f"/api/v1/cases/{principal_case}/history"):
        refused = client.get(path, headers=officer)
        assert refused.status_code == 404 and refused.json()["error"] == "case_not_found"
    acting = client.post(
        f"/api/v1/cases/{principal_case}/actions",
        json={"action": "assign", "assignee": "officer"},
        headers=officer,
    )
    assert acting.status_code == 404
    inspector = bearer(service, "inspector")
    detail = client.get(f"/api/v1/cases/{principal_case}", headers=inspector).json()
    assert detail["routed_to_district"] and detail["subject_id"] == PRINCIPAL


def test_every_case_detail_read_is_in_the_access_log(
    client: TestClient, service: AlertingService, cases: dict[str, str]
) -> None:
    client.get(f"/api/v1/cases/{cases['principal']}", headers=bearer(service, "inspector"))
    auditor = bearer(service, "auditor")
    log = client.get("/api/v1/access-log", params={"case_id": cases["principal"]}, headers=auditor)
    assert [(r["username"], r["channel"], r["view"]) for r in log.json()] == [
        ("inspector", "api", "case_file")
    ]
    assert client.get("/api/v1/access-log", headers=bearer(service, "inspector")).status_code == 403


def test_session_requests_that_change_something_need_the_csrf_header(
    client: TestClient, cases: dict[str, str]
) -> None:
    csrf = log_in(client, "inspector")
    path = f"/api/v1/cases/{cases['ordinary']}/actions"
    body = {"action": "assign", "assignee": "officer"}
    refused = client.post(path, json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    assert client.post(path, json=body, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    assert client.post(path, json=body, headers={"X-CSRF-Token": csrf}).status_code == 200


def test_a_case_goes_round_the_closed_loop(
    client: TestClient, service: AlertingService, clock: ManualClock, cases: dict[str, str]
) -> None:
    inspector = bearer(service, "inspector")
    path = f"/api/v1/cases/{cases['ordinary']}/actions"
    steps = [
        {"action": "assign", "assignee": "officer"},
        {"action": "investigate"},
        {"action": "rectify", "comment": "责令补签验收单"},
        {"action": "submit_for_review", "comment": "已整改"},
        {"action": "reject", "comment": "验收记录仍缺第二人签字"},
        {"action": "submit_for_review", "comment": "已补签"},
        {"action": "approve", "comment": "复核通过"},
    ]
    states = []
    for step in steps:
        clock.advance(hours=20)
        answer = client.post(path, json=step, headers=inspector)
        assert answer.status_code == 200, answer.text
        states.append(answer.json()["case"]["state"])
    assert states == [
        "assigned",
        "investigating",
        "rectifying",
        "under_review",
        "rectifying",
        "under_review",
        "closed",
    ]
    refused = client.post(path, json={"action": "investigate"}, headers=inspector)
    assert refused.status_code == 422 and refused.json()["error"] == "invalid_transition"
    history = client.get(f"/api/v1/cases/{cases['ordinary']}/history", headers=inspector).json()
    assert history["chain"]["intact"] and len(history["entries"]) == 1 + len(steps)
    summary = client.get("/api/v1/summary", headers=inspector).json()
    assert summary["time_to_close"]["count"] == 1
    assert summary["time_to_close"]["median_seconds"] == timedelta(hours=140).total_seconds()
    outcomes = client.get("/api/v1/outcomes", headers=inspector).json()
    assert outcomes == [
        {"rule_id": "C6", "counts": {"true_positive": 1}, "false_positive_rate": 0.0}
    ]


def test_dismissal_needs_a_reason_and_a_resolution_code(
    client: TestClient, service: AlertingService, cases: dict[str, str]
) -> None:
    inspector = bearer(service, "inspector")
    path = f"/api/v1/cases/{cases['neighbour']}/actions"
    bare = client.post(
        path, json={"action": "dismiss", "resolution": "false_positive"}, headers=inspector
    )
    assert bare.status_code == 422 and "理由" in bare.json()["message"]
    no_code = client.post(
        path, json={"action": "dismiss", "comment": "系统重复"}, headers=inspector
    )
    assert no_code.status_code == 422 and "resolution" in no_code.json()["message"]
    done = client.post(
        path,
        json={"action": "dismiss", "comment": "经核实为合规收费", "resolution": "false_positive"},
        headers=inspector,
    )
    assert done.json()["case"]["state"] == "dismissed"
    rates = {
        o["rule_id"]: o["false_positive_rate"]
        for o in client.get("/api/v1/outcomes", headers=inspector).json()
    }
    assert rates == {"C6": 1.0}


def test_school_officers_may_not_dismiss_and_auditors_may_not_act(
    client: TestClient, service: AlertingService, cases: dict[str, str]
) -> None:
    path = f"/api/v1/cases/{cases['ordinary']}/actions"
    dismiss = {"action": "dismiss", "comment": "无", "resolution": "duplicate"}
    assert client.post(path, json=dismiss, headers=bearer(service, "officer")).status_code == 403
    assign = {"action": "assign", "assignee": "officer"}
    answer = client.post(path, json=assign, headers=bearer(service, "auditor"))
    assert answer.status_code == 403 and answer.json()["error"] == "access_denied"


def test_the_inbox_filters_and_pages(
    client: TestClient, service: AlertingService, clock: ManualClock, cases: dict[str, str]
) -> None:
    inspector = bearer(service, "inspector")

    def ids(**params: object) -> list[str]:
        answer = client.get("/api/v1/cases", params=params, headers=inspector)
        assert answer.status_code == 200, answer.text
        return [item["id"] for item in answer.json()["items"]]

    assert ids() == [cases["principal"], cases["ordinary"], cases["neighbour"]], (
        "red, orange, yellow"
    )
    assert ids(severity=["red", "yellow"]) == [cases["principal"], cases["neighbour"]]
    assert ids(risk_area="finance") == [cases["neighbour"]]
    assert ids(school_id="500102002") == [cases["neighbour"]]
    assert ids(state="closed") == []
    assert ids(overdue=True) == []
    clock.advance(days=20)  # past the National Day holiday: every deadline has gone by
    assert ids(overdue=True) == [cases["principal"], cases["ordinary"], cases["neighbour"]]
    first = client.get("/api/v1/cases", params={"limit": 2}, headers=inspector).json()
    second = client.get("/api/v1/cases", params={"limit": 2, "offset": 2}, headers=inspector).json()
    assert (first["next_offset"], second["next_offset"]) == (2, None)
    assert [i["id"] for i in first["items"] + second["items"]] == ids()
    assert first["items"][0]["overdue"] is True


def test_silences_are_managed_by_the_district(
    client: TestClient, service: AlertingService, clock: ManualClock, users: dict[str, User]
) -> None:
    body = {
        "matchers": ["rule_id=C6", "school_id=~5001.*"],
        "ends_at": (clock.now + timedelta(days=1)).isoformat(),
        "comment": "食堂系统升级，验收记录延迟录入",
    }
    assert (
        client.post("/api/v1/silences", json=body, headers=bearer(service, "officer")).status_code
        == 403
    )
    assert (
        client.post("/api/v1/silences", json=body, headers=bearer(service, "auditor")).status_code
        == 403
    )
    inspector = bearer(service, "inspector")
    created = client.post("/api/v1/silences", json=body, headers=inspector)
    assert created.status_code == 201 and created.json()["created_by"] == "inspector"
    silence_id = created.json()["id"]
    assert service.ingest([sample_alert()]).case_ids == {}, "the matching alert is suppressed"
    listed = client.get("/api/v1/silences", headers=bearer(service, "auditor")).json()
    assert [(s["id"], s["active"]) for s in listed] == [(silence_id, True)]
    assert client.get("/api/v1/silences", headers=bearer(service, "officer")).status_code == 403
    ended = client.delete(f"/api/v1/silences/{silence_id}", headers=inspector)
    assert ended.json()["active"] is False and ended.json()["expired_by"] == "inspector"
    bad = client.post(
        "/api/v1/silences", json={**body, "matchers": ["rule_id~C6"]}, headers=inspector
    )
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_silence"
    assert client.delete("/api/v1/silences/nope", headers=inspector).status_code == 404


def test_attachments_are_kept_by_sha256_and_served_only_with_their_case(
    client: TestClient, service: AlertingService, cases: dict[str, str]
) -> None:
    inspector = bearer(service, "inspector")
    content = "整改报告：已补签验收单。".encode()
    uploaded = client.post(
        "/api/v1/attachments", files={"file": ("整改报告.txt", content)}, headers=inspector
    ).json()
    assert uploaded == {"name": "整改报告.txt", "sha256": hashlib.sha256(content).hexdigest()}
    path = f"/api/v1/cases/{cases['ordinary']}/actions"
    action = {"action": "assign", "assignee": "officer", "attachments": [uploaded]}
    assert client.post(path, json=action, headers=inspector).status_code == 200
    download = f"/api/v1/cases/{cases['ordinary']}/attachments/{uploaded['sha256']}"
    assert client.get(download, headers=bearer(service, "officer")).content == content
    elsewhere = f"/api/v1/cases/{cases['neighbour']}/attachments/{uploaded['sha256']}"
    assert client.get(elsewhere, headers=inspector).status_code == 404
    assert client.get(download, headers=bearer(service, "neighbour")).status_code == 404
    empty = client.post("/api/v1/attachments", files={"file": ("空.txt", b"")}, headers=inspector)
    assert empty.status_code == 422


def test_auditors_verify_every_chain(
    client: TestClient, service: AlertingService, cases: dict[str, str]
) -> None:
    report = client.get("/api/v1/audit/chains", headers=bearer(service, "auditor")).json()
    assert report == {"checked": 3, "intact": True, "broken": {}}
    assert client.get("/api/v1/audit/chains", headers=bearer(service, "officer")).status_code == 403


def test_health_and_the_openapi_document(client: TestClient, users: dict[str, User]) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/cases",
        "/api/v1/cases/{case_id}",
        "/api/v1/cases/{case_id}/history",
        "/api/v1/cases/{case_id}/actions",
        "/api/v1/silences",
        "/api/v1/silences/{silence_id}",
        "/api/v1/summary",
        "/api/v1/outcomes",
    } <= set(paths)
    assert "/cases/{case_id}" not in paths, "console pages are not API"
