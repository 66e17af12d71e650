"""Fixtures for the alerting unit tests: the real service wired to in-memory storage and a settable clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from qinglian.settings import Settings
from services.alerting.adapters.calendar import ChineseWorkdayCalendar
from services.alerting.adapters.leaders import StaticLeadersDirectory
from services.alerting.adapters.memory import MemoryUnitOfWork
from services.alerting.adapters.notifiers import LogNotifier
from services.alerting.adapters.passwords import Argon2Hasher
from services.alerting.bootstrap import AlertingService, bootstrap
from services.alerting.domain.deadlines import DeadlinePolicy, Deadlines
from services.alerting.testing import SHANGHAI, ManualClock

PRINCIPAL = "pn:" + "a" * 32


@pytest.fixture
def clock() -> ManualClock:
    # Monday 28 September 2026, the week before the National Day holiday (1–7 October).
    return ManualClock(datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI))


@pytest.fixture
def deadlines() -> Deadlines:
    return Deadlines(DeadlinePolicy(), ChineseWorkdayCalendar())


@pytest.fixture
def uow() -> MemoryUnitOfWork:
    return MemoryUnitOfWork()


@pytest.fixture
def notifier() -> LogNotifier:
    return LogNotifier()


@pytest.fixture
def service(
    settings: Settings, uow: MemoryUnitOfWork, clock: ManualClock, notifier: LogNotifier
) -> AlertingService:
    ids = iter(f"case-{n:04d}" for n in range(1, 10_000))
    return bootstrap(
        settings,
        uow=uow,
        clock=clock,
        notifier=notifier,
        leaders=StaticLeadersDirectory({"500102001": {"principal": PRINCIPAL}}),
        hasher=Argon2Hasher.for_tests(),
        new_id=lambda: next(ids),
    )
