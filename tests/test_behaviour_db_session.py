"""``--db-session async`` on two CRUD services, SQLModel with ``Session(engine)``
(``tests/behaviour/db_session_service.py``) and SQLAlchemy with ``sessionmaker``
(``tests/behaviour/db_sessionmaker_service.py``): the same responses before and after migration on
sqlite (aiosqlite after), the migrated app under blockbuster; and the expire-on-commit trap the
tool guards against (AM220), shown for real."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from blockbuster import blockbuster_ctx
from fastapi.testclient import TestClient
from helpers import load_module, migrated_copy

from async_migrate.config import Settings

SERVICE = Path(__file__).parent / "behaviour" / "db_session_service.py"
SESSIONMAKER_SERVICE = Path(__file__).parent / "behaviour" / "db_sessionmaker_service.py"


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_copy(SERVICE, tmp_path_factory.mktemp("migrated"), Settings(db_session="async"))


@pytest.fixture(scope="module")
def migrated_sessionmaker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("migrated_sessionmaker")
    return migrated_copy(SESSIONMAKER_SERVICE, folder, Settings(db_session="async"))


def _serve(path: Path, name: str, database: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """Each copy of the service defines its tables again in SQLModel's one metadata: cleared first."""
    from sqlmodel import SQLModel
    from sqlmodel.main import default_registry

    SQLModel.metadata.clear()
    default_registry.dispose()
    monkeypatch.setenv("DB_SESSION_DB", str(database))
    return load_module(path, name)


def _crud(app: Any) -> list[tuple[int, Any]]:
    with TestClient(app) as client:
        calls = [
            client.post("/heroes/", json={"name": "Deadpond", "age": 30}),
            client.post("/heroes/", json={"name": "Rusty-Man", "age": 48}),
            client.post("/heroes/", json={"name": "Spider-Boy"}),
            client.get("/heroes/"),
            client.get("/heroes/?offset=1&limit=1"),
            client.get("/heroes/2"),
            client.get("/heroes/99"),
            client.patch("/heroes/3", json={"age": 16}),
            client.patch("/heroes/99", json={"age": 1}),
            client.get("/oldest"),
            client.delete("/heroes/1"),
            client.delete("/heroes/1"),
            client.get("/heroes/"),
        ]
    return [(response.status_code, response.json()) for response in calls]


def test_the_whole_group_converts(migrated: Path) -> None:
    text = migrated.read_text()
    assert 'engine = create_async_engine(f"sqlite+aiosqlite:///' in text
    assert "async with AsyncSession(engine) as session:" in text
    assert "await connection.run_sync(SQLModel.metadata.create_all)" in text
    assert "\ndef " not in text  # every function used the session: all of them are async now


def test_crud_answers_the_same_and_nothing_blocks_the_loop(
    migrated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _crud(_serve(SERVICE, "db_session_before", tmp_path / "before.db", monkeypatch).app)
    with blockbuster_ctx():
        after = _crud(_serve(migrated, "db_session_after", tmp_path / "after.db", monkeypatch).app)
    assert before[0] == (200, {"id": 1, "name": "Deadpond", "age": 30}), before
    assert before[9] == (200, {"name": "Rusty-Man", "rusty": 2}), before
    assert after == before


def test_reading_an_instance_after_commit_without_refresh_fails_on_an_async_session(
    migrated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why AM220 keeps such a function sync: the sync session reloads an expired instance lazily
    when one of its attributes is read, an AsyncSession can't (MissingGreenlet)."""
    text = migrated.read_text()
    refresh = "    await session.refresh(hero)\n    return hero\n"
    assert refresh in text
    broken = tmp_path / "db_session_broken.py"
    read_after_commit = "    return Hero(id=hero.id, name=hero.name, age=hero.age)\n"
    broken.write_text(text.replace(refresh, read_after_commit, 1))
    app = _serve(broken, "db_session_broken", tmp_path / "broken.db", monkeypatch).app
    with TestClient(app) as client, pytest.raises(Exception, match="greenlet"):
        client.post("/heroes/", json={"name": "Deadpond"})


RETURNED_AFTER_COMMIT = Path(__file__).parent / "fixtures" / "db_session_return_after_commit" / "input.py"


def test_an_instance_returned_after_commit_is_served_empty_and_a_refresh_would_change_that(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why ``return note`` after commit gets no refresh (AM220): FastAPI serialises a SQLModel
    table instance from its ``__dict__``, which the commit emptied, so the sync app answers ``{}``
    without a query; the refresh the tool once put there answered the row instead."""
    from sqlmodel import SQLModel

    monkeypatch.chdir(tmp_path)  # the fixture's engine is sqlite:///notes.db
    source = RETURNED_AFTER_COMMIT.read_text()
    sync_app = _serve(RETURNED_AFTER_COMMIT, "db_session_returned", tmp_path / "unused.db", monkeypatch)
    SQLModel.metadata.create_all(sync_app.engine)
    with TestClient(sync_app.app) as client:
        sync_answer = client.post("/notes/?text=first")
    assert (sync_answer.status_code, sync_answer.json()) == (200, {})
    refreshed = tmp_path / "db_session_returned_refreshed.py"
    refreshed.write_text(
        source.replace("    session.commit()\n", "    session.commit()\n    session.refresh(note)\n")
    )
    refreshed_app = _serve(refreshed, "db_session_returned_refreshed", tmp_path / "unused.db", monkeypatch)
    with TestClient(refreshed_app.app) as client:
        answer = client.post("/notes/?text=second")
    assert (answer.status_code, answer.json()) == (200, {"id": 2, "text": "second"})


def _users_and_items(app: Any) -> list[tuple[int, Any]]:
    with TestClient(app) as client:
        calls = [
            client.post("/users/?email=a@example.com"),
            client.post("/users/?email=b@example.com"),
            client.post("/users/1/items/?title=first"),
            client.post("/users/1/items/?title=second"),
            client.post("/users/9/items/?title=nobody"),
            client.get("/users/1/items/"),
            client.get("/users/2/items/"),
            client.delete("/items/1"),
            client.delete("/items/1"),
            client.get("/users/1/items/"),
        ]
    return [(response.status_code, response.json()) for response in calls]


def test_a_sessionmaker_service_converts_whole_and_answers_the_same(
    migrated_sessionmaker: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = migrated_sessionmaker.read_text()
    assert "SessionLocal = async_sessionmaker(autocommit=False, autoflush=False, bind=engine)" in text
    assert "        await db.close()\n" in text and "\ndef " not in text
    assert "    await db.commit()  # no refresh" in text and "    await db.refresh(user)\n    return" in text
    before = _users_and_items(
        _serve(SESSIONMAKER_SERVICE, "sessionmaker_before", tmp_path / "b.db", monkeypatch).app
    )
    with blockbuster_ctx():
        after = _users_and_items(
            _serve(migrated_sessionmaker, "sessionmaker_after", tmp_path / "a.db", monkeypatch).app
        )
    assert before[2] == (200, {"id": 1, "title": "first", "owner_id": 1}), before
    assert before[5] == (200, [{"id": 1, "title": "first"}, {"id": 2, "title": "second"}]), before
    assert after == before


ENGINE_LINE = (
    "engine = create_engine(f\"sqlite:///{os.environ['DB_SESSION_DB']}\", "
    'connect_args={"check_same_thread": False})\n'
)


def test_an_engine_url_from_the_environment_gets_its_async_driver_when_the_app_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same service with its URL read from the environment (as settings do): the driver is
    chosen at run time, and the migrated app answers the same under blockbuster."""
    text = SERVICE.read_text()
    assert ENGINE_LINE in text
    service = tmp_path / "db_env_url_service.py"
    service.write_text(text.replace(ENGINE_LINE, 'engine = create_engine(os.environ["DB_SESSION_URL"])\n'))
    (tmp_path / "migrated").mkdir()
    migrated = migrated_copy(service, tmp_path / "migrated", Settings(db_session="async"))
    assert (
        'engine = create_async_engine(_async_driver_url(os.environ["DB_SESSION_URL"]))'
        in migrated.read_text()
    )
    monkeypatch.setenv("DB_SESSION_URL", f"sqlite:///{tmp_path / 'before.db'}")
    before = _crud(_serve(service, "db_env_url_before", tmp_path / "unused.db", monkeypatch).app)
    monkeypatch.setenv("DB_SESSION_URL", f"sqlite:///{tmp_path / 'after.db'}")
    with blockbuster_ctx():
        module = _serve(migrated, "db_env_url_after", tmp_path / "unused.db", monkeypatch)
        after = _crud(module.app)
    assert module.engine.url.drivername == "sqlite+aiosqlite"
    assert before[0] == (200, {"id": 1, "name": "Deadpond", "age": 30}), before
    assert after == before


OUTSIDE = Path(__file__).parent / "fixtures" / "db_session_engine_outside_the_app" / "input"


def _script_then_app(root: Path, monkeypatch: pytest.MonkeyPatch, blocking_checked: bool) -> list[Any]:
    """The project's script fills the database with the sync engine, then the app serves it."""
    import importlib
    import sys

    from sqlmodel import SQLModel
    from sqlmodel.main import default_registry

    SQLModel.metadata.clear()
    default_registry.dispose()
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    for name in [name for name in sys.modules if name == "app" or name.startswith("app.")]:
        monkeypatch.delitem(sys.modules, name)
    importlib.import_module("app.initial_data").main()
    app = importlib.import_module("app.main").app
    with blockbuster_ctx() if blocking_checked else contextlib.nullcontext(), TestClient(app) as client:
        answers = [client.get("/heroes/").json(), client.get("/health").json()]
    engines = importlib.import_module("app.db")
    answers += [type(engines.engine).__name__, type(getattr(engines, "async_engine", None)).__name__]
    for name in [name for name in sys.modules if name == "app" or name.startswith("app.")]:
        del sys.modules[name]
    return answers


def test_a_script_outside_the_app_keeps_the_sync_engine_and_the_app_gets_an_async_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from async_migrate.runner import migrate

    before, after = tmp_path / "before", tmp_path / "after"
    shutil.copytree(OUTSIDE, before)
    shutil.copytree(OUTSIDE, after)
    result = migrate([after], Settings(db_session="async"))
    assert result.errors == [] and {change.path.name for change in result.changes} == {"db.py", "main.py"}
    for change in result.changes:
        change.path.write_text(change.new_text)
    answers = [[{"id": 1, "name": "Deadpond"}], {"ok": True}, "Engine"]
    assert _script_then_app(before, monkeypatch, blocking_checked=False) == [*answers, "NoneType"]
    assert _script_then_app(after, monkeypatch, blocking_checked=True) == [*answers, "AsyncEngine"]
