"""Verifying every case's hash-chained history."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.alerting.domain.history import ChainStatus, verify_chain
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork


@dataclass(frozen=True, slots=True)
class BrokenChain:
    case_id: str
    status: ChainStatus


@dataclass
class AuditResult:
    checked: int = 0
    broken: list[BrokenChain] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.broken


def verify_histories(uow: AbstractUnitOfWork, *, page_size: int = 500) -> AuditResult:
    result = AuditResult()
    after: str | None = None
    with uow:
        while heads := uow.cases.chain_heads(after=after, limit=page_size):
            histories = uow.cases.histories([head.case_id for head in heads])
            for head in heads:
                status = verify_chain(
                    histories.get(head.case_id, []),
                    head_hash=head.head_hash,
                    entry_count=head.entry_count,
                )
                result.checked += 1
                if not status.intact:
                    result.broken.append(BrokenChain(head.case_id, status))
            after = heads[-1].case_id
    return result
