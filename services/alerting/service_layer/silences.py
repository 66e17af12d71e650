"""Creating and ending silences."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from services.alerting.domain.commands import CreateSilence, ExpireSilence
from services.alerting.domain.silences import Silence
from services.alerting.errors import InvalidSilence, SilenceNotFound
from services.alerting.service_layer.unit_of_work import AbstractUnitOfWork


def create_silence(
    command: CreateSilence, uow: AbstractUnitOfWork, *, now: datetime, new_id: Callable[[], str]
) -> Silence:
    if command.ends_at <= max(command.starts_at, now):
        raise InvalidSilence(
            "屏蔽的结束时间已过 / the silence would already have ended; give a later end time"
        )
    silence = Silence(
        id=new_id(),
        matchers=command.matchers,
        starts_at=command.starts_at,
        ends_at=command.ends_at,
        created_by=command.created_by,
        comment=command.comment,
        created_at=now,
    )
    with uow:
        uow.silences.add(silence)
        uow.commit()
    return silence


def expire_silence(command: ExpireSilence, uow: AbstractUnitOfWork, *, now: datetime) -> Silence:
    with uow:
        silence = uow.silences.get(command.silence_id)
        if silence is None:
            raise SilenceNotFound(
                f"屏蔽 {command.silence_id} 不存在 / no silence has id {command.silence_id}"
            )
        ended = silence.expired(now, command.actor)
        uow.silences.replace(ended)
        uow.commit()
    return ended
