"""The base of every connector: a lifecycle around ``batches()``, in the manner of quixstreams' BaseSource.

    setup()   connect to the source; reports through on_connect_success / on_connect_failure
    start()   pull a pass every poll interval until stop(); reconnects after a failure
    stop()    ask start() to return (from another thread or a signal handler)
    close()   release clients

What a pass does (ingest, then checkpoint) is the pull use case
(``service_layer.pull.drain``); the connector only says what is new and where the
checkpoint goes.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence

import structlog

from qinglian.errors import InfrastructureError
from services.ingest.connectors.domain.checkpoint import Batch, Checkpoint
from services.ingest.connectors.domain.spec import Common
from services.ingest.connectors.errors import ConnectorError
from services.ingest.connectors.service_layer.ports import CheckpointStore
from services.ingest.domain.results import ItemResult
from services.ingest.domain.sources import SourceSystem

log = structlog.get_logger(__name__)

ConnectSuccessCallback = Callable[[], None]
ConnectFailureCallback = Callable[[Exception], None]
PassRunner = Callable[["BaseConnector"], object]


class BaseConnector(ABC):
    def __init__(
        self,
        common: Common,
        event_types: tuple[str, ...],
        *,
        on_connect_success: ConnectSuccessCallback | None = None,
        on_connect_failure: ConnectFailureCallback | None = None,
    ) -> None:
        self.common = common
        self._source_system = common.source_system(event_types)
        self._on_connect_success = on_connect_success
        self._on_connect_failure = on_connect_failure
        self._stopping = threading.Event()
        self._connected = False

    @property
    def connector_id(self) -> str:
        return self.common.connector_id

    @property
    def source_system(self) -> SourceSystem:
        return self._source_system

    # -- lifecycle ----------------------------------------------------------------------------------

    def setup(self) -> None:
        try:
            self.connect()
        except Exception as exc:
            self.on_connect_failure(exc)
            raise
        self._connected = True
        self.on_connect_success()

    def start(self, run_pass: PassRunner) -> None:
        """Run passes until stop(); infrastructure and source errors are logged and retried next interval."""
        try:
            while not self._stopping.is_set():
                try:
                    if not self._connected:
                        self.setup()
                    run_pass(self)
                except (InfrastructureError, ConnectorError) as exc:
                    log.warning(
                        "pull pass failed; retrying", connector=self.connector_id, error=str(exc)
                    )
                    self._disconnect()
                self._stopping.wait(self.common.poll_interval_seconds)
        finally:
            self._disconnect()

    def stop(self) -> None:
        self._stopping.set()

    def on_connect_success(self) -> None:
        log.info("connected to source", connector=self.connector_id)
        if self._on_connect_success is not None:
            self._on_connect_success()

    def on_connect_failure(self, exc: Exception) -> None:
        log.warning("cannot connect to source", connector=self.connector_id, error=str(exc))
        if self._on_connect_failure is not None:
            self._on_connect_failure(exc)

    def _disconnect(self) -> None:
        if self._connected:
            self._connected = False
            self.close()

    # -- what each kind provides --------------------------------------------------------------------

    @abstractmethod
    def connect(self) -> None:
        """Open clients and check the source is there; raise SourceUnavailable if it is not."""

    def close(self) -> None:
        """Release what connect() opened."""

    @abstractmethod
    def batches(self, checkpoints: CheckpointStore) -> Iterator[Batch]: ...

    def checkpoint_after(self, batch: Batch, results: Sequence[ItemResult]) -> Checkpoint:
        return batch.checkpoint

    def committed(self, batch: Batch, results: Sequence[ItemResult]) -> None:
        return None
