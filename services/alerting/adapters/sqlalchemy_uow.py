"""The unit of work on a SQLAlchemy session: one session, one transaction per ``with uow:``."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.orm import Session, sessionmaker

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
        return self

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
