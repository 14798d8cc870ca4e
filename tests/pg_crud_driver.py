"""Run the CRUD script against one version of tests/behaviour/pg_crud_service.py and print what
it answered, as JSON: ``{"driver": ..., "responses": [[status, body], ...]}``.

    python pg_crud_driver.py SERVICE_FILE DATABASE_URL [--checked]

Run by tests/test_behaviour_postgres.py once per version, each in its own process: every version
declares the same SQLModel tables, which one process's shared metadata can hold only once. With
--checked (tests/ on PYTHONPATH) the requests run under blockbuster_plugin's active_blockbuster(),
and a statement of a sync SQLAlchemy driver on the event loop's thread is refused too: libpq does
its network I/O in C, where blockbuster can't see it. Either ends the run with its traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
from pathlib import Path
from typing import Any

# (method, path, JSON body): every route, each answer kind (200, 404, 422), the reads after writes
SCRIPT: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/heroes/", {"name": "Deadpond", "secret_name": "Dive Wilson"}),
    ("POST", "/heroes/", {"name": "Spider-Boy", "secret_name": "Pedro Parqueador", "age": 16}),
    ("POST", "/heroes/", {"name": "Rusty-Man", "secret_name": "Tommy Sharp", "age": 48}),
    ("POST", "/heroes/", {"name": 1, "secret_name": "not a name"}),
    ("GET", "/heroes/", None),
    ("GET", "/heroes/?offset=1&limit=1", None),
    ("GET", "/heroes/?limit=101", None),
    ("GET", "/heroes/2", None),
    ("GET", "/heroes/99", None),
    ("GET", "/heroes/2/slow?delay=0.01", None),
    ("GET", "/heroes/99/slow?delay=0", None),
    ("PATCH", "/heroes/2", {"age": 17}),
    ("PATCH", "/heroes/99", {"age": 1}),
    ("GET", "/heroes/2", None),
    ("DELETE", "/heroes/3", None),
    ("DELETE", "/heroes/3", None),
    ("GET", "/heroes/", None),
]


def _refuse_sync_statements_on_the_loop() -> None:
    """Raise BlockingError for a statement that a sync dialect (psycopg2, not asyncpg, whose
    statements SQLAlchemy also runs on the loop's thread, through a greenlet) runs on a thread whose
    event loop is running: psycopg2 waits for the server there and the loop waits with it."""
    import asyncio

    from blockbuster import BlockingError
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def check(connection: Any, *_: object) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # a worker thread: what FastAPI does with a sync endpoint
        if not connection.dialect.is_async:
            raise BlockingError(f"{connection.dialect.driver} statement")

    event.listen(Engine, "before_cursor_execute", check)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service", type=Path)
    parser.add_argument("database_url")
    parser.add_argument("--checked", action="store_true", help="blockbuster, and no sync driver on the loop")
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url  # the service makes its engine at import

    from fastapi.testclient import TestClient
    from helpers import load_module

    checked: contextlib.AbstractContextManager[object] = contextlib.nullcontext()
    if args.checked:
        from blockbuster_plugin import active_blockbuster

        _refuse_sync_statements_on_the_loop()
        checked = active_blockbuster()
    module = load_module(args.service, args.service.stem)
    with checked, TestClient(module.app) as client:
        answers = [client.request(method, path, json=body) for method, path, body in SCRIPT]
    responses = [[answer.status_code, answer.json()] for answer in answers]
    print(json.dumps({"driver": module.engine.dialect.driver, "responses": responses}))


if __name__ == "__main__":
    main()
