"""A project-local PostgreSQL cluster from Debian's packages.

It has its own data directory under the state directory and its own port, and
is started and stopped with the server's own tools (initdb, pg_ctl). PostgreSQL
refuses to run as root, so when the stack runs as root (CI) the server runs as
the ``postgres`` system account that Debian's package creates.
"""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy

from qinglian.errors import StackError
from qinglian.settings import Settings
from qinglian.stack.processes import PidFile, port_open, require_free_port, stop_pid, wait_until

SERVER_ACCOUNT = "postgres"
DATABASE = "qinglian"
ROLE = "qinglian"


@dataclass(frozen=True, slots=True)
class PostgresPaths:
    home: Path

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def sockets(self) -> Path:
        return self.home / "run"

    @property
    def log(self) -> Path:
        return self.home / "postgres.log"

    @property
    def pid_file(self) -> PidFile:
        # postgres rewrites its own title, so the marker is the data directory that appears in it
        return PidFile(self.home / "postgres.pid", marker=str(self.data))


def postgres_paths(settings: Settings) -> PostgresPaths:
    return PostgresPaths(home=settings.state_path / "postgres")


def database_url(settings: Settings, database: str = DATABASE) -> str:
    return f"postgresql+psycopg://{ROLE}@127.0.0.1:{settings.postgres_port}/{database}"


def bin_dir(settings: Settings) -> Path:
    if settings.postgres_bin_dir:
        return settings.postgres_bin_dir
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not candidates:
        raise StackError(
            "PostgreSQL server not found: install it (apt-get install postgresql) or set QINGLIAN_POSTGRES_BIN_DIR"
        )
    return candidates[-1]


def _as_server_account(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVER_ACCOUNT, "--", *command]


def _hand_over_to_server_account(paths: PostgresPaths) -> None:
    """As root: give the cluster directory to `postgres` and let it traverse the parents."""
    if os.geteuid() != 0:
        return
    account = pwd.getpwnam(SERVER_ACCOUNT)
    for directory in (paths.home, paths.sockets):
        directory.mkdir(parents=True, exist_ok=True)
        os.chown(directory, account.pw_uid, account.pw_gid)
    for parent in paths.home.parents:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            os.chmod(parent, mode | stat.S_IXOTH)


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(
        _as_server_account(command), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise StackError(f"{what} failed: {(result.stdout + result.stderr).strip()[-300:]}")


def _postmaster_pid(paths: PostgresPaths) -> int | None:
    try:
        return int((paths.data / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def start(settings: Settings) -> int:
    paths = postgres_paths(settings)
    running = paths.pid_file.running_pid()
    if running:
        return running
    require_free_port(settings.postgres_port, "PostgreSQL", "QINGLIAN_POSTGRES_PORT")
    binaries = bin_dir(settings)
    paths.home.mkdir(parents=True, exist_ok=True)
    paths.sockets.mkdir(parents=True, exist_ok=True)
    _hand_over_to_server_account(paths)
    if not (paths.data / "PG_VERSION").exists():
        _run(
            [
                str(binaries / "initdb"),
                "-D",
                str(paths.data),
                "-U",
                ROLE,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ],
            "initdb",
        )
    options = (
        f"-p {settings.postgres_port} -k {paths.sockets} -c listen_addresses=127.0.0.1 "
        "-c fsync=on -c max_connections=200 -c shared_buffers=128MB"
    )
    _run(
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(paths.data),
            "-l",
            str(paths.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        "pg_ctl start",
    )
    pid = _postmaster_pid(paths)
    if pid is None:
        raise StackError(f"PostgreSQL started but wrote no postmaster.pid; see {paths.log}")
    paths.pid_file.write(pid)
    wait_until(
        lambda: port_open(settings.postgres_port), timeout=30, what="PostgreSQL", log_path=paths.log
    )
    _ensure_database(settings, binaries, paths)
    return pid


def _ensure_database(settings: Settings, binaries: Path, paths: PostgresPaths) -> None:
    psql = [
        str(binaries / "psql"),
        "-h",
        "127.0.0.1",
        "-p",
        str(settings.postgres_port),
        "-U",
        ROLE,
        "-d",
        "postgres",
        "-tAc",
    ]
    result = subprocess.run(
        [*psql, f"SELECT 1 FROM pg_database WHERE datname='{DATABASE}'"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.stdout.strip() != "1":
        _run([*psql, f"CREATE DATABASE {DATABASE}"], "creating the qinglian database")


def stop(settings: Settings) -> bool:
    paths = postgres_paths(settings)
    pid = paths.pid_file.running_pid()
    if pid is None:
        paths.pid_file.clear()
        return False
    result = subprocess.run(
        _as_server_account(
            [str(bin_dir(settings) / "pg_ctl"), "-D", str(paths.data), "-m", "fast", "-w", "stop"]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        stop_pid(pid)
    paths.pid_file.clear()
    return True


def running_pid(settings: Settings) -> int | None:
    return postgres_paths(settings).pid_file.running_pid()


@contextmanager
def temporary_database(settings: Settings, prefix: str = "qinglian_tmp") -> Iterator[str]:
    """A fresh database on the local cluster (tests, benchmarks), dropped afterwards; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(
        database_url(settings, "postgres"), isolation_level="AUTOCOMMIT"
    )
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    try:
        yield database_url(settings, name)
    finally:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()
