"""The console in real headless Chromium (Debian's /usr/bin/chromium via Playwright) against an
in-process server (uvicorn in a thread, on a free port) on a fresh PostgreSQL database.

Screenshots go to artifacts/screenshots/ at the project root.
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import BrowserContext, Page, sync_playwright

from qinglian.settings import Settings, load_settings, project_root
from qinglian.stack.postgres import temporary_database
from qinglian.stack.processes import free_port
from services.alerting.adapters import migrator
from services.alerting.adapters.attachments import FileAttachmentStore
from services.alerting.adapters.leaders import StaticLeadersDirectory
from services.alerting.adapters.passwords import Argon2Hasher
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.entrypoints.web.app import create_app
from services.alerting.testing import SAMPLE_PASSWORD, add_sample_users

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PRINCIPAL = "pn:" + "e" * 32
SCREENSHOTS = project_root() / "artifacts" / "screenshots"


@dataclass
class Console:
    base_url: str
    service: AlertingService


@pytest.fixture
def console(settings: Settings, postgres_admin_url: str, tmp_path: Path) -> Iterator[Console]:
    with temporary_database(settings, prefix="qinglian_e2e") as url:
        migrator.upgrade(url)
        service = bootstrap(
            load_settings(database_url=url),
            leaders=StaticLeadersDirectory({"500102001": {"principal": PRINCIPAL}}),
            hasher=Argon2Hasher.for_tests(),
        )
        add_sample_users(service)
        app = create_app(
            settings, service, attachments=FileAttachmentStore(tmp_path / "attachments")
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
        )
        thread = threading.Thread(target=server.run, name="console-under-test", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the console did not start"
            time.sleep(0.05)
        try:
            yield Console(f"http://127.0.0.1:{port}", service)
        finally:
            server.should_exit = True
            thread.join(timeout=30)


@pytest.fixture(scope="module")
def chromium() -> Iterator[BrowserContext]:
    """Debian's Chromium with a fresh profile directory, shared by one module's tests.

    Module scope, not session: Playwright's sync API keeps an event loop running in this
    thread while it is open, which would break every asyncio test collected after it.
    """
    with (
        tempfile.TemporaryDirectory(prefix="qinglian-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, locale="zh-CN"
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(chromium: BrowserContext) -> Iterator[Page]:
    chromium.clear_cookies()
    tab = chromium.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    tab.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page: Page, console: Console, username: str) -> None:
    page.goto(f"{console.base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", SAMPLE_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{console.base_url}/cases")
