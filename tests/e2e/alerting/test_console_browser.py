"""Inspectors at work in the browser: the closed loop, a dismissal, and the conflict-of-interest wall."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from services.alerting.domain.alerts import RiskArea, Severity, Subject, SubjectKind
from services.alerting.testing import sample_alert

from .conftest import PRINCIPAL, Console, log_in, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def cases(console: Console) -> dict[str, str]:
    return console.service.ingest(
        [
            sample_alert(
                alert_id="e2e-canteen",
                details={
                    "inspector_count": 1,
                    "purchaser_inspected": True,
                    "amount_fen": 2_356_000,
                },
            ),
            sample_alert(
                alert_id="e2e-fees",
                rule_id="F1",
                title_zh="收费超出核定标准",
                title_en="Fee above the approved standard",
                risk_area=RiskArea.FINANCE,
                severity=Severity.YELLOW,
                details={"fee_item": "校服费", "amount_fen": 32000, "standard_fen": 28000},
            ),
            sample_alert(
                alert_id="e2e-principal",
                rule_id="F8",
                title_zh="校长报销审批异常",
                title_en="Irregular approval of the principal's reimbursement",
                severity=Severity.RED,
                subject=Subject(SubjectKind.STAFF, PRINCIPAL),
            ),
        ]
    ).case_ids


def act(
    page: Page, action: str, *, comment: str = "", assignee: str = "", resolution: str = ""
) -> None:
    form = page.locator(f"form.action-form[data-action='{action}']")
    if assignee:
        form.locator("input[name=assignee]").fill(assignee)
    if resolution:
        form.locator("select[name=resolution]").select_option(resolution)
    if comment:
        form.locator("textarea[name=comment]").fill(comment)
    form.locator("button[type=submit]").click()
    expect(page.locator("p.notice")).to_be_visible()


def test_an_inspector_takes_a_case_round_the_closed_loop(
    page: Page, console: Console, cases: dict[str, str], tmp_path: Path
) -> None:
    log_in(page, console, "inspector")
    screenshot(page, "01-inbox")
    page.select_option("select[name=risk_area]", "canteen")
    page.click(".filters button[type=submit]")
    row = page.locator(f"tr.case-row[data-case-id='{cases['e2e-canteen']}']")
    expect(row.locator(".sev-orange")).to_have_text("橙")
    expect(page.locator(f"tr.case-row[data-case-id='{cases['e2e-fees']}']")).to_have_count(0)
    row.locator("a").click()
    expect(page.locator("#evidence")).to_contain_text("23,560.00 元")
    expect(page.locator("#evidence")).to_contain_text("采购人参与验收")
    expect(page.locator("#chain-status")).to_have_text("✔ 记录完整")
    screenshot(page, "02-case-new")

    report = tmp_path / "验收整改报告.txt"
    report.write_bytes("已补齐双人验收签字".encode())
    page.locator("form.action-form[data-action='assign'] input[type=file]").set_input_files(
        str(report)
    )
    act(page, "assign", assignee="officer", comment="请学校核查验收记录")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "assigned")
    expect(page.locator("#timeline")).to_contain_text(
        hashlib.sha256(report.read_bytes()).hexdigest()
    )
    act(page, "investigate")
    act(page, "rectify", comment="责令补齐验收记录并整改验收流程")
    act(page, "submit_for_review", comment="整改材料已提交")
    screenshot(page, "03-case-under-review")
    act(page, "approve", comment="复核通过")
    expect(page.locator("#case-state")).to_have_attribute("data-state", "closed")
    expect(page.locator("form.action-form")).to_have_count(1)
    expect(page.locator("form.action-form")).to_have_attribute("data-action", "reopen")
    expect(page.locator("#chain-status")).to_have_text("✔ 记录完整")
    expect(page.locator("#timeline li")).to_have_count(6)
    screenshot(page, "04-case-closed")


def test_an_inspector_dismisses_a_false_positive_with_a_reason(
    page: Page, console: Console, cases: dict[str, str]
) -> None:
    log_in(page, console, "inspector")
    page.goto(f"{console.base_url}/cases/{cases['e2e-fees']}")
    form = page.locator("form.action-form[data-action='dismiss']")
    form.locator("button[type=submit]").click()
    (
        expect(page.locator("#case-state")).to_have_attribute("data-state", "new"),
        "the browser requires a reason",
    )
    act(
        page,
        "dismiss",
        comment="经核实，校服费为家长自愿代购，不属收费",
        resolution="false_positive",
    )
    expect(page.locator("#case-state")).to_have_attribute("data-state", "dismissed")
    expect(page.locator("#case-state")).to_contain_text("已排除")
    screenshot(page, "05-case-dismissed")
    page.goto(f"{console.base_url}/summary?lang=en")
    expect(page.locator("#by_rule")).to_contain_text("F1")
    expect(page.locator("body")).to_contain_text("False-positive rate")
    screenshot(page, "06-summary-en")


def test_a_school_officer_cannot_see_or_open_the_case_about_their_principal(
    page: Page, console: Console, cases: dict[str, str]
) -> None:
    log_in(page, console, "officer")
    expect(page.locator("tr.case-row")).to_have_count(2)
    expect(page.locator("body")).not_to_contain_text("校长报销审批异常")
    answer = page.goto(f"{console.base_url}/cases/{cases['e2e-principal']}")
    assert answer is not None and answer.status == 404
    expect(page.locator("p.error")).to_contain_text("不存在")
    screenshot(page, "07-officer-refused")
    api = page.request.get(f"{console.base_url}/api/v1/cases/{cases['e2e-principal']}")
    assert api.status == 404 and api.json()["error"] == "case_not_found"
    listed = page.request.get(f"{console.base_url}/api/v1/cases").json()["items"]
    assert cases["e2e-principal"] not in {item["id"] for item in listed}
    page.click("header button.link")
    page.wait_for_url(f"{console.base_url}/login")
    log_in(page, console, "inspector")
    page.goto(f"{console.base_url}/cases/{cases['e2e-principal']}")
    expect(page.locator(".routed")).to_contain_text("利益冲突")
    screenshot(page, "08-inspector-sees-routed-case")
