"""The unit of work on a SQLAlchemy session: one session, one transaction per ``with uow:``."""

from __future__ import annotations

from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from services.alerting.adapters.account_repositories import (
    SqlAlchemyAccessLogRepository,
    SqlAlchemyAccountRepository,
    SqlAlchemyDeliveryLogRepository,
)
from services.alerting.adapters.repositories import (
    SqlAlchemyAlertRepository,
    SqlAlchemyCaseRepository,
    SqlAlchemyEscalationRepository,
    SqlAlchemySilenceRepository,
)
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork


class SqlAlchemyUnitOfWork(AbstractUnitOfWork):
    """Re-enterable: each ``with`` opens a fresh session, so one instance serves one thread's operations in turn."""

    cases: SqlAlchemyCaseRepository

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self.session_factory = session_factory

    def __enter__(self) -> Self:
        self.session = self.session_factory()
        self.cases = SqlAlchemyCaseRepository(self.session)
        self.alerts = SqlAlchemyAlertRepository(self.session)
        self.silences = SqlAlchemySilenceRepository(self.session)
        self.escalations = SqlAlchemyEscalationRepository(self.session)
        self.deliveries = SqlAlchemyDeliveryLogRepository(self.session)
        self.accounts = SqlAlchemyAccountRepository(self.session)
        self.access_log = SqlAlchemyAccessLogRepository(self.session)
        return self

    def for_another_thread(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(self.session_factory)

    def ping(self) -> None:
        with self.session_factory() as session:
            session.execute(sa.text("SELECT 1"))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, traceback)
        self.session.close()

    def commit(self) -> None:
        self.cases.store_changes()
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
