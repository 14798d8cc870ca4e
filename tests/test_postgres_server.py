"""The PostgreSQL server the database tests start (tests/postgres.py): it answers through both
drivers, listens on 127.0.0.1 only, runs unprivileged, and leaves nothing behind, also when the
block using it fails; where the programs are missing the tests skip, or fail when CI requires them."""

from __future__ import annotations

import asyncio
import os
import socket
import stat
from pathlib import Path

import asyncpg
import postgres
import psycopg2
import pytest
from postgres import (
    INSTALL_HINT,
    REQUIRE_ENV,
    PostgresServer,
    binaries_or_skip,
    find_binaries,
    running_postgres,
)


def _postmaster_pid(server: PostgresServer) -> int:
    return int((server.folder / "data" / "postmaster.pid").read_text().split()[0])


def _listening_addresses(port: int) -> set[str]:
    """The local addresses of the TCP sockets listening on ``port`` (/proc/net/tcp and tcp6, hex)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if int(hex_port, 16) == port and state == "0A":  # TCP_LISTEN
                found.add(address)
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie: the server's parent is init once pg_ctl has gone, which may reap late."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_the_server_answers_both_drivers_on_loopback_only(postgres_server: PostgresServer) -> None:
    connection = psycopg2.connect(postgres_server.dsn, connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("select 1, host(inet_server_addr()), current_setting('listen_addresses')")
            assert cursor.fetchone() == (1, "127.0.0.1", "127.0.0.1")
            cursor.execute("show unix_socket_directories")
            assert cursor.fetchone() == (str(postgres_server.folder),)
    finally:
        connection.close()

    async def select_one() -> int:
        connection = await asyncpg.connect(postgres_server.dsn, timeout=10)
        try:
            return await connection.fetchval("select 1")
        finally:
            await connection.close()

    assert asyncio.run(select_one()) == 1
    # bound to 127.0.0.1 alone: not 0.0.0.0, not ::, not another interface
    assert _listening_addresses(postgres_server.port) == {"0100007F"}
    if os.geteuid() == 0:  # PostgreSQL refuses root: the server runs as an unprivileged user
        assert os.stat(f"/proc/{_postmaster_pid(postgres_server)}").st_uid != 0


@pytest.mark.slow
def test_the_server_is_stopped_and_its_folder_removed_when_the_block_fails() -> None:
    with pytest.raises(ZeroDivisionError), running_postgres(binaries=binaries_or_skip()) as server:
        pid = _postmaster_pid(server)
        assert _alive(pid)
        1 / 0  # noqa: B018 - a test failing while the server runs
    assert not server.folder.exists()
    assert not _alive(pid)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


def _fake_installation(root: Path, version: str) -> Path:
    folder = root / version / "bin"
    folder.mkdir(parents=True)
    for program in postgres.PROGRAMS:
        (folder / program).write_text("#!/bin/sh\n")
        (folder / program).chmod(stat.S_IRWXU)
    return folder


def test_binaries_are_found_on_path_first_then_in_debians_newest_folder(tmp_path: Path) -> None:
    nowhere = str(tmp_path / "nowhere")
    debian = tmp_path / "usr_lib_postgresql"
    assert find_binaries(search_path=nowhere, debian_dirs=f"{debian}/*/bin") is None
    _fake_installation(debian, "9.6")
    newest = _fake_installation(debian, "15")
    (debian / "16" / "bin").mkdir(parents=True)  # a client-only install: no server programs
    assert find_binaries(search_path=nowhere, debian_dirs=f"{debian}/*/bin") == newest
    on_path = _fake_installation(tmp_path / "path", "any")
    assert find_binaries(search_path=str(on_path), debian_dirs=f"{debian}/*/bin") == on_path


def test_missing_binaries_skip_with_how_to_install_or_fail_when_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(postgres, "find_binaries", lambda: None)
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y postgresql"):
        binaries_or_skip()
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=REQUIRE_ENV) as failure:
        binaries_or_skip()
    assert INSTALL_HINT in str(failure.value)
