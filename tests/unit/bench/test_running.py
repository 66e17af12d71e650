import signal
import subprocess
import sys
import textwrap

import pytest

from qinglian.settings import project_root

BENCHMARK = textwrap.dedent(
    """
    import signal
    from bench.running import run_benchmark

    def main():
        try:
            print("started", flush=True)
            signal.pause()
        finally:
            print("cleaned up", flush=True)

    run_benchmark(main)
    """
)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP])
def test_a_stopped_benchmark_still_runs_its_clean_up(stop):
    process = subprocess.Popen(
        [sys.executable, "-c", BENCHMARK], cwd=project_root(), stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "started\n"
    process.send_signal(stop)
    remaining, _ = process.communicate(timeout=30)
    assert remaining == "cleaned up\n"
    assert process.returncode == 128 + stop
