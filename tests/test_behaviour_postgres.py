"""CRUD on a real PostgreSQL server answers the same before and after going async:
``tests/behaviour/pg_crud_service.py`` (sync Session, psycopg2) against its versions migrated by
``async-migrate --db-session async`` and written async by hand (AsyncSession, asyncpg), each on a
fresh database of the session's server, driven through TestClient by tests/pg_crud_driver.py in a
process of its own; the async versions run under blockbuster and a check for sync-driver
statements, so a query on the event loop's thread fails the test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import run_tool
from postgres import PostgresServer, create_database

pytestmark = pytest.mark.slow

TESTS = Path(__file__).parent
SERVICE = TESTS / "behaviour" / "pg_crud_service.py"
HAND_WRITTEN = TESTS / "behaviour" / "pg_crud_async.py"
ROUTES = ["create_hero", "read_heroes", "read_hero", "read_hero_slowly", "update_hero", "delete_hero"]
# what the sync service answers to each request of the driver's SCRIPT
STATUSES = [200, 200, 200, 422, 200, 200, 422, 200, 404, 200, 404, 200, 404, 200, 200, 404, 200]


def _drive(service: Path, server: PostgresServer, database: str, *, checked: bool) -> dict[str, Any]:
    """The driver's output for ``service`` on a new database of ``server`` (the URL names psycopg2:
    an async version picks its own driver, as the migrated one does)."""
    url = server.url("psycopg2", create_database(server, database))
    command = [sys.executable, str(TESTS / "pg_crud_driver.py"), str(service), url]
    env = {**os.environ, **server.client_env, "PYTHONPATH": str(TESTS)}
    run = subprocess.run(
        [*command, *(["--checked"] if checked else [])],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def before(postgres_server: PostgresServer) -> list[list[Any]]:
    run = _drive(SERVICE, postgres_server, "pg_crud_before", checked=False)
    assert run["driver"] == "psycopg2"
    responses = run["responses"]
    assert [status for status, _ in responses] == STATUSES
    assert responses[11][1]["age"] == 17 and [hero["id"] for hero in responses[-1][1]] == [1, 2]
    return responses


def test_the_hand_written_async_version_answers_the_same_without_blocking(
    before: list[list[Any]], postgres_server: PostgresServer
) -> None:
    after = _drive(HAND_WRITTEN, postgres_server, "pg_crud_async", checked=True)
    assert after["driver"] == "asyncpg"
    assert after["responses"] == before


class KeptSync(AssertionError):
    """The tool left routes of the service sync: there is no migrated service to compare."""


def test_the_migrated_service_answers_the_same_without_blocking(
    before: list[list[Any]], postgres_server: PostgresServer, tmp_path: Path
) -> None:
    migrated = tmp_path / SERVICE.name
    migrated.write_text(SERVICE.read_text())
    run = run_tool("--db-session", "async", migrated, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    text = migrated.read_text()
    kept = [name for name in ROUTES if f"\nasync def {name}(" not in text]
    if kept:
        reasons = "\n".join(line for line in run.stderr.splitlines() if " AM2" in line)
        raise KeptSync(f"kept sync: {kept}\n{reasons}")
    after = _drive(migrated, postgres_server, "pg_crud_migrated", checked=True)
    assert after["driver"] == "asyncpg"
    assert after["responses"] == before


def test_a_sync_query_on_the_event_loop_fails_the_harness(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    # what a migration that made a route async but kept its sync session would serve: psycopg2
    # waiting for the server on the loop's thread (the script's first request creates a hero
    # through it). blockbuster alone misses it: libpq's socket calls are C, not Python's.
    broken = tmp_path / "pg_crud_broken.py"
    broken.write_text(SERVICE.read_text().replace("\ndef create_hero(", "\nasync def create_hero("))
    with pytest.raises(AssertionError, match="BlockingError: Blocking call to psycopg2 statement"):
        _drive(broken, postgres_server, "pg_crud_broken", checked=True)
