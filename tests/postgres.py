"""A throwaway PostgreSQL server for the tests and the database benchmark: ``initdb`` in a
temporary folder, ``pg_ctl`` listening on 127.0.0.1 only, stopped and removed on leaving.

Why by hand rather than a service: CI's machine has no server running, and a cluster of our own
costs a few seconds, knows no state from earlier runs and never answers on another interface.
PostgreSQL refuses to run as root, so when we are root the server runs as ``nobody`` (the folder
is made theirs); Debian's ``postgresql`` package keeps its programs off PATH, in
``/usr/lib/postgresql/<version>/bin``, which is searched too.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

PROGRAMS = ("initdb", "pg_ctl", "postgres")
DEBIAN_BIN_DIRS = "/usr/lib/postgresql/*/bin"
INSTALL_HINT = (
    "PostgreSQL's server programs (initdb, pg_ctl, postgres) were not found on PATH nor in "
    f"{DEBIAN_BIN_DIRS}; install them (Debian/Ubuntu: `apt-get install -y postgresql`; "
    "macOS: `brew install postgresql`)"
)
REQUIRE_ENV = "ASYNC_MIGRATE_REQUIRE_POSTGRES"
"""Set to 1 (as .ci/run does) and a missing server fails the tests that need it instead of skipping them."""
SUPERUSER = "postgres"
RUN_AS = "nobody"


class PostgresUnavailable(RuntimeError):
    """The server programs are not installed here."""


@dataclass(frozen=True)
class PostgresServer:
    """A running server: where it listens and what it keeps on disk."""

    port: int
    folder: Path
    user: str = SUPERUSER
    # trust authentication ignores it, but a URL without one has asyncpg look for ~/.pgpass at
    # every connect, an os.stat on the event loop, where a deployed service's URL has a password
    password: str = "postgres"
    host: str = "127.0.0.1"

    def url(self, driver: str = "psycopg2", database: str = "postgres") -> str:
        """A SQLAlchemy URL of ``database`` through ``driver`` (``psycopg2``, ``psycopg``, ``asyncpg``)."""
        return f"postgresql+{driver}://{self.user}:{self.password}@{self.host}:{self.port}/{database}"

    @property
    def client_env(self) -> dict[str, str]:
        """What a process connecting to this server needs in its environment: no TLS (none is
        configured, on loopback), which both libpq and asyncpg read from PGSSLMODE. With the
        default ``prefer`` asyncpg looks for client certificates under ~/.postgresql at every
        connect, file system calls on the event loop that blockbuster reports."""
        return {"PGSSLMODE": "disable"}

    @property
    def dsn(self) -> str:
        """The libpq form of the URL, for psycopg2 and asyncpg themselves."""
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/postgres"


def find_binaries(search_path: str | None = None, debian_dirs: str = DEBIAN_BIN_DIRS) -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: PATH's first, else Debian's newest version."""
    on_path = shutil.which("pg_ctl", path=search_path)
    candidates = [Path(on_path).resolve().parent] if on_path else []
    candidates += sorted(Path("/").glob(debian_dirs.lstrip("/")), key=_version, reverse=True)
    for folder in candidates:
        if all(os.access(folder / program, os.X_OK) for program in PROGRAMS):
            return folder
    return None


def _version(folder: Path) -> tuple[int, ...]:
    """15 for /usr/lib/postgresql/15/bin, so that 15 comes after 9.6."""
    return tuple(int(part) for part in folder.parent.name.split(".") if part.isdigit())


def binaries_or_skip() -> Path:
    """The server's folder; where there is none, the calling test is skipped saying how to install
    it, or fails when ASYNC_MIGRATE_REQUIRE_POSTGRES is set (CI installs it: a skip there would
    hide that the database tests never ran)."""
    import pytest

    binaries = find_binaries()
    if binaries is not None:
        return binaries
    if os.environ.get(REQUIRE_ENV, "") not in ("", "0"):
        pytest.fail(f"{INSTALL_HINT}; {REQUIRE_ENV} is set, so the tests that need it fail", pytrace=False)
    pytest.skip(INSTALL_HINT)


def _as_server_user() -> tuple[tuple[str, ...], int | None, int | None]:
    """The command prefix that drops root for the server's programs, with that user's ids; nothing
    when we aren't root (the server then runs as us)."""
    if os.geteuid() != 0:
        return (), None, None
    user = pwd.getpwnam(RUN_AS)
    prefix = ("setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups")
    return prefix, user.pw_uid, user.pw_gid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(command: Sequence[str], timeout: float, env: dict[str, str], log: Path | None = None) -> None:
    """``command``, raising with what it printed (and the server's log, if any) when it fails."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if done.returncode != 0:
        logged = log.read_text(errors="replace") if log is not None and log.exists() else ""
        raise RuntimeError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{logged}"
        )


@contextlib.contextmanager
def running_postgres(
    *, timeout: float = 60, max_connections: int = 300, binaries: Path | None = None
) -> Iterator[PostgresServer]:
    """A fresh cluster served on 127.0.0.1 for the block's duration; stopped (``pg_ctl stop -m
    fast``) and its folder removed on leaving, whatever happened inside.

    Trust authentication for the superuser ``postgres`` (nothing but this machine can reach it),
    fsync off (a throwaway cluster: durability costs time and proves nothing here), the unix
    socket in the temporary folder rather than /var/run/postgresql.
    """
    binaries = binaries or find_binaries()
    if binaries is None:
        raise PostgresUnavailable(INSTALL_HINT)
    as_user, uid, gid = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="async-migrate-pg-"))
    data, log = folder / "data", folder / "server.log"
    # the server's programs read the locale and home of this environment: neither must depend on ours
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(folder)}
    started = False
    try:
        if uid is not None:
            os.chown(folder, uid, gid)
        initdb = [str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust"]
        _run([*as_user, *initdb, "--encoding=UTF8", "--locale=C", "--no-sync"], timeout, env)
        port = _free_port()
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories='{folder}'"
            f" -c max_connections={max_connections} -c fsync=off -c full_page_writes=off"
        )
        pg_ctl = [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(log)]
        started = True  # from here on a half-started server is stopped on the way out
        start = [*as_user, *pg_ctl, "-o", options, "-w", "-t", str(int(timeout)), "start"]
        _run(start, timeout + 10, env, log)
        yield PostgresServer(port=port, folder=folder)
    finally:
        if started:
            stop = [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
            subprocess.run(stop, capture_output=True, timeout=timeout, env=env, check=False)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server: PostgresServer, name: str) -> str:
    """A new empty database on ``server``; returns its name. The driver itself, not an engine:
    CREATE DATABASE can't run inside the transaction SQLAlchemy opens."""
    import psycopg2

    connection = psycopg2.connect(server.dsn, connect_timeout=10)
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return name
