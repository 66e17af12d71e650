"""The console on every storage backend: login with CSRF, scope, the actions offered, forms, chain status, language."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from services.alerting.adapters.memory import MemoryUnitOfWork
from services.alerting.adapters.sqlalchemy_uow import SqlAlchemyUnitOfWork
from services.alerting.bootstrap import AlertingService
from services.alerting.domain.access import User
from services.alerting.domain.alerts import Subject, SubjectKind
from services.alerting.testing import sample_alert

from .conftest import PRINCIPAL, log_in

pytestmark = pytest.mark.integration


@pytest.fixture
def cases(service: AlertingService, users: dict[str, User]) -> dict[str, str]:
    return service.ingest(
        [
            sample_alert(
                alert_id="ordinary", details={"inspector_count": 1, "amount_fen": 1234500}
            ),
            sample_alert(alert_id="principal", subject=Subject(SubjectKind.STAFF, PRINCIPAL)),
        ]
    ).case_ids


def offered_actions(page: str) -> list[str]:
    return re.findall(r'class="action-form" data-action="([a-z_]+)"', page)


def test_login_needs_the_forms_csrf_token_and_the_right_password(
    client: TestClient, users: dict[str, User]
) -> None:
    assert client.get("/cases", follow_redirects=False).headers["location"] == "/login?next=/cases"
    forged = client.post(
        "/login", data={"username": "inspector", "password": "x", "csrf_token": "x"}
    )
    assert forged.status_code == 403
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    wrong = client.post(
        "/login", data={"username": "inspector", "password": "nope", "csrf_token": token[1]}
    )
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    log_in(client, "inspector")
    cookie = next(c for c in client.cookies.jar if c.name == "qinglian_session")
    assert cookie.has_nonstandard_attr("HttpOnly")
    assert cookie.get_nonstandard_attr("SameSite", "").lower() == "lax"


def test_a_school_officer_cannot_see_or_open_a_case_about_their_principal(
    client: TestClient, cases: dict[str, str]
) -> None:
    log_in(client, "officer")
    inbox = client.get("/cases").text
    assert cases["ordinary"] in inbox and cases["principal"] not in inbox
    refused = client.get(f"/cases/{cases['principal']}")
    assert (
        refused.status_code == 404 and cases["principal"] in refused.text
    )  # the message names the id asked for
    assert "pn:" not in refused.text


def test_a_district_level_case_shows_as_such_and_only_to_the_district(
    client: TestClient, service: AlertingService, users: dict[str, User]
) -> None:
    vendor = Subject(SubjectKind.VENDOR, "91500102MA5U000009")
    report = service.ingest(
        [sample_alert(alert_id="across", school_id=None, rule_id="R025", subject=vendor)]
    )
    case_id = report.case_ids["across"]
    log_in(client, "inspector")
    row = re.search(
        rf'<tr class="case-row" data-case-id="{case_id}">.*?</tr>',
        client.get("/cases").text,
        re.DOTALL,
    )
    assert row is not None and "<td>区县级</td>" in row[0]
    page = client.get(f"/cases/{case_id}").text
    assert "<dd>区县级</dd>" in page and "区县级预警：涉及多所学校，由区县办理" in page
    assert "利益冲突" not in page, "it is not a conflict-of-interest case"
    assert "<dd>District-level</dd>" in client.get(f"/cases/{case_id}?lang=en").text
    assert "District-level" in client.get("/summary?lang=en").text
    client.cookies.clear()
    log_in(client, "officer")
    assert case_id not in client.get("/cases").text
    assert client.get(f"/cases/{case_id}").status_code == 404


def test_the_case_page_offers_only_what_this_user_may_do_now(
    client: TestClient, cases: dict[str, str]
) -> None:
    log_in(client, "officer")
    assert offered_actions(client.get(f"/cases/{cases['ordinary']}").text) == ["assign"]
    client.cookies.clear()
    log_in(client, "inspector")
    page = client.get(f"/cases/{cases['ordinary']}").text
    assert offered_actions(page) == ["assign", "dismiss", "transfer"]
    assert "12,345.00 元" in page and "验收人数" in page, "evidence is rendered readably"
    assert "2026-09-28 09:00" in page, "times in Beijing time"
    assert "✔ 记录完整" in page
    client.cookies.clear()
    log_in(client, "auditor")
    assert offered_actions(client.get(f"/cases/{cases['ordinary']}").text) == []


def test_an_action_form_with_an_attachment(client: TestClient, cases: dict[str, str]) -> None:
    log_in(client, "inspector")
    page = client.get(f"/cases/{cases['ordinary']}").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    content = b"scan of the delivery note"
    missing = client.post(
        f"/cases/{cases['ordinary']}/actions",
        data={"csrf_token": csrf[1], "action": "dismiss", "resolution": "false_positive"},
    )
    assert missing.status_code == 422 and "须填写理由" in missing.text
    done = client.post(
        f"/cases/{cases['ordinary']}/actions",
        data={
            "csrf_token": csrf[1],
            "action": "assign",
            "assignee": "officer",
            "comment": "请核查",
        },
        files={"files": ("验收单.pdf", content, "application/pdf")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    assert "操作已记录" in page and f"sha256 {hashlib.sha256(content).hexdigest()}" in page
    assert 'data-state="assigned"' in page
    no_csrf = client.post(f"/cases/{cases['ordinary']}/actions", data={"action": "investigate"})
    assert no_csrf.status_code == 403


def test_a_tampered_history_shows_on_the_case_page(
    client: TestClient, service: AlertingService, cases: dict[str, str]
) -> None:
    tamper(service, cases["ordinary"])
    log_in(client, "inspector")
    assert "✘ 记录被篡改" in client.get(f"/cases/{cases['ordinary']}").text


def tamper(service: AlertingService, case_id: str) -> None:
    """Edit the case's first history entry behind the application's back."""
    uow = service.uow
    if isinstance(uow, MemoryUnitOfWork):
        first = uow.state.history[case_id][0]
        uow.state.history[case_id][0] = replace(first, actor="someone-else")
        return
    assert isinstance(uow, SqlAlchemyUnitOfWork)
    with uow.session_factory.begin() as session:
        session.execute(
            sa.text(
                "UPDATE case_history SET actor = 'someone-else' WHERE case_id = :id AND seq = 1"
            ),
            {"id": case_id},
        )


def test_filters_summary_silences_language_and_logout(
    client: TestClient, cases: dict[str, str]
) -> None:
    csrf = log_in(client, "inspector")
    assert (
        cases["ordinary"]
        in client.get("/cases", params={"severity": "orange", "school_id": "500102001"}).text
    )
    assert "没有符合条件的案件" in client.get("/cases", params={"risk_area": "finance"}).text
    assert "没有符合条件的案件" in client.get("/cases", params={"overdue": "true"}).text
    summary = client.get("/summary").text
    assert 'id="total-cases">2<' in summary and "办结用时" in summary
    english = client.get("/summary?lang=en")
    assert "Time to close" in english.text and english.cookies.get("qinglian_lang") == "en"
    assert "Inbox" in client.get("/cases").text, "the choice is remembered"
    assert client.get("/silences").status_code == 200
    client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert client.get("/cases", follow_redirects=False).status_code == 303


def test_silences_from_the_console(client: TestClient, users: dict[str, User]) -> None:
    log_in(client, "officer")
    assert client.get("/silences").status_code == 403
    client.cookies.clear()
    log_in(client, "inspector")
    page = client.get("/silences").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    form = {"csrf_token": csrf[1], "matchers": "rule_id=C6\nschool_id=500102001", "hours": "24"}
    bad = client.post("/silences", data={**form, "matchers": "rule_id~C6", "comment": "x"})
    assert bad.status_code == 422 and "无法解析屏蔽条件" in bad.text
    created = client.post("/silences", data={**form, "comment": "系统升级"}, follow_redirects=False)
    assert created.status_code == 303
    page = client.get("/silences").text
    assert "rule_id=C6" in page and "生效中" in page
    silence_id = re.search(r'action="/silences/([^/]+)/expire"', page)
    assert silence_id is not None
    client.post(f"/silences/{silence_id[1]}/expire", data={"csrf_token": csrf[1]})
    assert "已结束" in client.get("/silences").text
