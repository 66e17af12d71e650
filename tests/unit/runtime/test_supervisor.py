"""The demo's supervisor starts a service again after an exit status its spec restarts on, and only then."""

from __future__ import annotations

from pathlib import Path

from qinglian.supervisor import ServiceSpec, Supervisor

USAGE_ERROR = 2
"""What `qinglian no-such-command` exits with: a real child process that stops at once."""


def _exited(supervisor: Supervisor) -> None:
    for service in supervisor.running:
        service.process.wait(timeout=60)


def test_a_service_that_exits_with_a_restart_status_is_started_again_and_others_fail(
    tmp_path: Path,
) -> None:
    supervisor = Supervisor(tmp_path)
    restarting = supervisor.start(
        ServiceSpec("restarting", ("no-such-command",), restart_on=frozenset({USAGE_ERROR}))
    )
    failing = supervisor.start(
        ServiceSpec("failing", ("no-such-command",), restart_on=frozenset({75}))
    )
    try:
        _exited(supervisor)
        first = restarting.process
        assert supervisor.restart_exited() == [(restarting, USAGE_ERROR)]
        assert restarting.process is not first and restarting.starts == 2
        assert supervisor.failed() == [failing]

        _exited(supervisor)
        assert supervisor.restart_exited() == [(restarting, USAGE_ERROR)]
        assert restarting.starts == 3
        _exited(supervisor)
        assert restarting.log_path.read_text().count("No such command") == 3  # one log, appended
    finally:
        supervisor.stop_all()
