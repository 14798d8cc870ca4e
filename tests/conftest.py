from __future__ import annotations

from collections.abc import Iterator

import pytest
from postgres import PostgresServer, binaries_or_skip, running_postgres


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        help="Write the tool's output as each fixture's expected output (review the diff!).",
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session, on 127.0.0.1 (tests/postgres.py); a test makes its
    own database with ``create_database``. Skipped where the server isn't installed."""
    with running_postgres(binaries=binaries_or_skip()) as server:
        yield server
